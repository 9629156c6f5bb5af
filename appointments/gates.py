"""Gates before treatment: what a client's record must hold before pigment goes on
their skin. Appointments owns the registry and the one function every path asks
(`treatment_gate`); the apps that hold the records fill it in AppConfig.ready()
(clients: intake, suitability, consent, age, patch test; treatments: the hairline
design), so this module imports neither.

Every path that books or records a treatment asks `treatment_gate`: the front desk's
booking and moves, the API, online booking, waitlist offers and their acceptance,
course booking, and the session record. A refusal names every missing item, each
with the page that fixes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from appointments.models import Location, Service

# Service kinds that put pigment in the skin. Consultations, patch tests and fade
# checks are not gated (a patch test has its own rule: the service's flag).
TREATMENT_KINDS = frozenset(
    {
        Service.Kind.SMP_SESSION,
        Service.Kind.SCAR_CAMOUFLAGE,
        Service.Kind.TOUCH_UP,
    }
)


def is_treatment(service: Service) -> bool:
    return service.kind in TREATMENT_KINDS


@dataclass(frozen=True)
class GateMissing:
    """One thing the record lacks, and the page where staff put it right."""

    gate: str
    label: str
    fix_url: str


@dataclass(frozen=True)
class GateCheck:
    """What a gate is asked about: this client, this service, at this time.

    `plan` is the treatment plan a session belongs to when the caller knows it
    (a session record); otherwise a gate works it out from the client.
    """

    client: object
    service: Service
    starts_at: datetime
    day: date
    plan: object | None = None


Gate = Callable[[GateCheck], list[GateMissing]]

_REGISTRY: dict[str, Gate] = {}


def register(name: str, gate: Gate) -> None:
    """Add a gate (from an AppConfig.ready()). Registering a name again replaces it,
    so a reloaded app does not ask twice."""
    _REGISTRY[name] = gate


def registered() -> list[str]:
    """The gates' names, in the order they are asked (and refusals list them)."""
    return list(_REGISTRY)


def treatment_gate(
    client,
    service: Service,
    on: datetime,
    *,
    location: Location | None = None,
    plan=None,
    skip: frozenset[str] = frozenset(),
) -> list[GateMissing]:
    """Everything `client` lacks to have `service` at `on` (aware); empty when
    nothing does. The day of the checks is the location's local day. `skip` names
    gates the caller checks more finely itself (the session record checks the patch
    test per pigment used)."""
    day = on.astimezone(location.zone).date() if location else on.date()
    check = GateCheck(client=client, service=service, starts_at=on, day=day, plan=plan)
    missing: list[GateMissing] = []
    for name, gate in _REGISTRY.items():
        if name not in skip:
            missing.extend(gate(check))
    return missing


def refusal_message(client, service: Service, missing: list[GateMissing]) -> str:
    items = "; ".join(item.label for item in missing)
    return f"{client} cannot have {service} yet: {items}."
