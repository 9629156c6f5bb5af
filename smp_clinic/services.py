from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

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
