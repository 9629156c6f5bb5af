"""Staff roles and what each may do: the one module every view asks.

Roles are auth groups created by a data migration. Views ask for a capability, never a
role, so the table below (DESIGN.md, "Roles") is the single place access is decided.
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404


class Role(StrEnum):
    """A staff role; the value is the name of its auth group."""

    FRONT_DESK = "Front desk"
    PRACTITIONER = "Practitioner"
    MANAGER = "Manager"


class Capability(StrEnum):
    # Calendar, booking, client contact details and messages.
    BOOKING = "booking"
    # Intake, contraindications, plans, session records and photos.
    CLINICAL = "clinical"
    # Services, hours, rooms, pigments, reports, audit log, exports and erasure.
    MANAGEMENT = "management"


GRANTS: dict[Capability, frozenset[Role]] = {
    Capability.BOOKING: frozenset({Role.FRONT_DESK, Role.PRACTITIONER, Role.MANAGER}),
    Capability.CLINICAL: frozenset({Role.PRACTITIONER, Role.MANAGER}),
    Capability.MANAGEMENT: frozenset({Role.MANAGER}),
}

# The dashboard a person with several roles lands on: the widest first.
ROLE_PRECEDENCE = (Role.MANAGER, Role.PRACTITIONER, Role.FRONT_DESK)


def user_roles(user) -> frozenset[Role]:
    """The roles of an active user; a superuser counts as a manager."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    # A request's user has them already (core.backends.StaffBackend).
    cached = getattr(user, "_smp_roles", None)
    if cached is None:
        names = user.groups.values_list("name", flat=True)
        cached = user._smp_roles = roles_from_names(names, superuser=user.is_superuser)
    return cached


def roles_from_names(names, *, superuser: bool) -> frozenset[Role]:
    """The roles named by a user's groups; a superuser counts as a manager."""
    names = set(names)
    roles = frozenset(role for role in Role if role.value in names)
    return roles | {Role.MANAGER} if superuser else roles


def primary_role(user) -> Role | None:
    roles = user_roles(user)
    return next((role for role in ROLE_PRECEDENCE if role in roles), None)


def can(user, capability: Capability) -> bool:
    return not user_roles(user).isdisjoint(GRANTS[capability])


def refuse_erased(user, client, message: str = "Not found.") -> None:
    """What is left of an erased client (the kept facts) is for managers only: for
    anyone else every record of theirs is 404, as if it had gone."""
    if client is not None and client.erased_at and not can(user, Capability.MANAGEMENT):
        raise Http404(message)


def capabilities(user) -> dict[str, bool]:
    """Every capability by name, for templates: `{% if can.clinical %}`."""
    return {capability.value: can(user, capability) for capability in Capability}


def require(capability: Capability) -> Callable:
    """View decorator: log in first, then 403 unless the user has the capability."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not can(request.user, capability):
                raise PermissionDenied(f"Needs the {capability.value} capability.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
