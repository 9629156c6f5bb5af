"""Staff accounts: creating staff, invitations, password reset, two-factor devices."""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.clinic import clinic_identity
from core.mail import render_plain_text
from core.ratelimit import over_subject_limit
from core.roles import Role, user_roles


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
        "clinic_name": clinic_identity().name,
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
        subject=render_plain_text("registration/invite_subject.txt", context).strip(),
        message=render_plain_text("registration/invite_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


def password_reset_email_send(*, address: str) -> int:
    """Email a password reset link to each active account with this email address
    that may set a password, at most PASSWORD_RESET_PER_ACCOUNT_HOUR an hour to one
    account. The worker runs it (tasks.send_password_reset), never the request: the
    page answers alike, in the same time, whether or not an account has the address.

    The link is built from SITE_URL, never from a request's Host header."""
    form = PasswordResetForm()
    sent = 0
    for user in form.get_users(address):
        if over_subject_limit(
            scope="password-reset-account",
            subject=user.pk,
            limit=settings.PASSWORD_RESET_PER_ACCOUNT_HOUR,
            window_seconds=3600,
        ):
            continue
        context = {
            "clinic_name": clinic_identity().name,
            "site_name": clinic_identity().name,
            "domain": settings.SITE_URL.split("://", 1)[1].rstrip("/"),
            "protocol": "https" if settings.HTTPS else "http",
            "email": user.email,
            "user": user,
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        }
        form.send_mail(
            "registration/password_reset_subject.txt",
            "registration/password_reset_email.html",
            context,
            None,
            user.email,
        )
        sent += 1
    return sent


RECOVERY_CODE_COUNT = 10


@transaction.atomic
def totp_device_start(*, user) -> TOTPDevice:
    """The app a person is setting up: their unconfirmed device, or a new one."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name="Authenticator app", confirmed=False
        )
    return device


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice, token: str) -> list[str]:
    """Confirm the new app with a code it shows; it replaces any earlier app.

    Returns new recovery codes, to be shown once."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if not device.verify_token(_digits(token)):
        raise ValidationError(
            "That code does not match. Check the phone's clock is right and type "
            "the code the app shows now."
        )
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_renew(user=device.user)


@transaction.atomic
def recovery_codes_renew(*, user) -> list[str]:
    """Ten single-use codes for a lost phone; earlier ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes")
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=code) for code in codes
    )
    return codes


def two_factor_check(*, user, token: str):
    """The device a code proves, or ValidationError; failures slow further tries."""
    token = token.strip()
    digits = _digits(token)
    if digits.isdigit() and len(digits) == 6:
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
        token = digits
    else:
        devices = StaticDevice.objects.filter(user=user, confirmed=True)
        token = token.replace(" ", "").lower()
    for device in devices:
        allowed, extra = device.verify_is_allowed()
        if not allowed:
            raise ValidationError(
                "Too many wrong codes: wait a little and try again."
                if extra and extra.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS
                else "Codes cannot be checked just now."
            )
        with transaction.atomic():
            if device.verify_token(token):
                return device
    raise ValidationError("That code is not right.")


def two_factor_turn_off(*, user, token: str) -> None:
    if Role.MANAGER in user_roles(user):
        raise ValidationError("Managers must keep two-factor login on.")
    # Checked outside the deleting transaction: a wrong code's throttle count must
    # be committed, not rolled back with the refusal.
    two_factor_check(user=user, token=token)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


def _digits(token: str) -> str:
    return "".join(token.split())
