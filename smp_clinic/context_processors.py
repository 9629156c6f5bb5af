from django.conf import settings

from smp_clinic.roles import capabilities, primary_role


def clinic(request):
    user = getattr(request, "user", None)
    return {
        "clinic_name": settings.CLINIC_NAME,
        "can": capabilities(user) if user is not None else {},
        "primary_role": primary_role(user) if user is not None else None,
    }
