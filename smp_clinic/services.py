from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from smp_clinic.models import Heartbeat
from smp_clinic.roles import Role

WORKER_HEARTBEAT = "worker"


@transaction.atomic
def heartbeat_record(*, name: str = WORKER_HEARTBEAT) -> Heartbeat:
    heartbeat, _ = Heartbeat.objects.update_or_create(
        name=name, defaults={"beat_at": timezone.now()}
    )
    return heartbeat


@transaction.atomic
def staff_create(
    *,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    roles: Iterable[Role] = (),
    password: str | None = None,
):
    """Create a staff account with its roles; no password means it cannot log in yet."""
    user = get_user_model()(
        username=username, email=email, first_name=first_name, last_name=last_name
    )
    if password is None:
        user.set_unusable_password()
    else:
        validate_password(password, user)
        user.set_password(password)
    user.full_clean()
    user.save()
    # The roles' groups come from a migration; get_or_create keeps a flushed database
    # (a transactional test, a restored backup) from silently dropping a role.
    user.groups.set([Group.objects.get_or_create(name=role.value)[0] for role in roles])
    return user


def staff_invite_send(*, user) -> None:
    """Email a new staff member a link to set their password (the reset machinery).

    The link is built from SITE_URL, never from a request's Host header, and expires
    like a password reset (PASSWORD_RESET_TIMEOUT).
    """
    if not user.email:
        return
    context = {
        "clinic_name": settings.CLINIC_NAME,
        "user": user,
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        "link": settings.SITE_URL.rstrip("/")
        + reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        ),
    }
    send_mail(
        subject=render_to_string("registration/invite_subject.txt", context).strip(),
        message=render_to_string("registration/invite_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
