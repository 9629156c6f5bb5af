from django.conf import settings

from core import two_factor
from core.clinic import clinic_identity
from core.roles import capabilities, primary_role


def clinic(request):
    user = getattr(request, "user", None)
    identity = clinic_identity()
    return {
        "clinic_name": identity.name,
        "clinic_logo_url": identity.logo_url,
        "login_lockout_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "can": capabilities(user) if user is not None else {},
        "primary_role": primary_role(user) if user is not None else None,
        # A password-only session sees no menu until its code is given.
        "two_factor_owed": hasattr(request, "session")
        and bool(request.session.get(two_factor.SESSION_KEY)),
    }
