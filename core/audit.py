"""The audit trail: who created, changed, deleted, viewed or exported what, and when.

django-auditlog records every create, change and delete of the models below (its
signal receivers, registered here once) and the actor of the request (our middleware).
Views of clinical pages and exports are written by `access_record`.

Each entry is filed under the client it concerns (`additional_data["client"]`), so a
client's whole history is one filter and erasure can find what to redact. The values of
free-text and personal fields are masked: the trail says *that* a client's medications
changed and who changed them, without becoming a second copy of the health record.

Audit rows are append-only: no view edits them, the admin is read-only, and on
PostgreSQL a trigger (migration smp_clinic 0003) refuses UPDATE and DELETE except the
redaction erasure does inside `redaction_allowed()`.
"""

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from auditlog.cid import get_cid, set_cid
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.db.models import Value
from django.db.models.functions import Replace

from core.ratelimit import client_address

MASKED = "(hidden)"

_current_request: ContextVar = ContextVar("smp_audit_request", default=None)

# Personal fields whose values stay out of the trail on top of every free-text field.
PERSONAL_FIELDS = {
    "first_name",
    "last_name",
    "date_of_birth",
    "email",
    "phone",
    "typed_name",
    "signature",
    "clearance_document",
    "image",
    "thumbnail",
    "caption",
    "design_signed_name",
    "healing_note",
    "skin_reaction",
    "cancellation_reason",
}

# Fields that change on every save and say nothing a reader needs.
NOISE_FIELDS = ["updated_at"]


def mask(value: str) -> str:
    """AUDITLOG_MASK_CALLABLE: nothing of the value, only that it changed."""
    return MASKED


# Each audited model, and the path from a row to the client it concerns ("" for rows
# that concern no one client, such as the stock of pigments). Filled by each app's
# AppConfig.ready() through `register`: the base knows no app's models.
_client_paths: dict[type[models.Model], str] = {}


def audited_models() -> list[type[models.Model]]:
    return list(_client_paths)


def client_of(instance: models.Model) -> int | None:
    path = _client_paths.get(type(instance), "")
    value = instance
    for attribute in filter(None, path.split(".")):
        value = getattr(value, attribute)
    return value if path else None


def _additional_data(instance) -> dict:
    client_id = client_of(instance)
    return {} if client_id is None else {"client": client_id}


def register(*registrations: tuple[type[models.Model], str]) -> None:
    """Audit each (model, path to its client) from now on; called by the apps'
    AppConfig.ready(), once per model."""
    for model, client_path in registrations:
        if model in _client_paths:
            continue
        _client_paths[model] = client_path
        masked = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, models.TextField) or field.name in PERSONAL_FIELDS
        ]
        excluded = [name for name in NOISE_FIELDS if _has_field(model, name)]
        # A reverse relation (an appointment's session record, its messages) is the
        # other rows' field, logged there: reading a one-to-one here cost a query on
        # every change, and a one-to-many logged only "messaging.OutboundMessage.None"
        # on every create.
        excluded += [
            field.name
            for field in model._meta.get_fields()
            if (field.one_to_one or field.one_to_many)
            and field.auto_created
            and not field.concrete
        ]
        # auditlog reads `get_additional_data` off the instance it logs.
        model.get_additional_data = _additional_data
        auditlog.register(model, mask_fields=masked, exclude_fields=excluded)


def _has_field(model, name: str) -> bool:
    return any(field.name == name for field in model._meta.concrete_fields)


def access_record(*, instance: models.Model, page: str, export: str = "") -> LogEntry:
    """Record that the request's user viewed a clinical page, or exported data.

    The actor, address and time come from AuditMiddleware, as for changes."""
    data = {**_additional_data(instance), "page": page}
    if export:
        data["export"] = export
    return LogEntry.objects.log_create(
        instance,
        force_log=True,
        action=LogEntry.Action.ACCESS,
        changes=None,
        additional_data=data,
    )


def bulk_create_record(*, instances: list[models.Model], how: str) -> None:
    """bulk_create sends no signals: one "created" entry per row, written at once."""
    if not instances:
        return
    kind = ContentType.objects.get_for_model(type(instances[0]))
    LogEntry.objects.bulk_create(
        LogEntry(
            content_type=kind,
            object_pk=str(instance.pk),
            object_id=instance.pk,
            object_repr=str(instance)[:200],
            action=LogEntry.Action.CREATE,
            changes={},
            additional_data={**_additional_data(instance), "page": how},
            cid=get_cid(),
            **_request_context(),
        )
        for instance in instances
    )


def _request_context() -> dict:
    """Who and from where, for the request being served (nothing outside one)."""
    request = _current_request.get()
    if request is None:
        return {}
    user = request.user
    return {
        "actor": user if user.is_authenticated else None,
        "actor_email": user.email if user.is_authenticated else None,
        "remote_addr": client_address(request),
    }


def client_redact(*, client_id: int, name: str, replacement: str) -> int:
    """Erasure: take the client's name out of every entry filed under them."""
    with redaction_allowed():
        return LogEntry.objects.filter(additional_data__client=client_id).update(
            object_repr=Replace("object_repr", Value(name), Value(replacement))
        )


def erasure_record(*, client: models.Model, reason: str) -> LogEntry:
    return LogEntry.objects.log_create(
        client,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        changes={"erased": ["", "yes"]},
        additional_data={"client": client.pk, "page": "erasure", "reason": reason},
    )


def entries_purge_before(cutoff) -> int:
    """Retention: entries older than the cutoff (inside redaction_allowed)."""
    return LogEntry.objects.filter(timestamp__lt=cutoff).delete()[0]


@contextlib.contextmanager
def redaction_allowed() -> Iterator[None]:
    """Within the current transaction, let erasure rewrite audit rows' personal data.

    The PostgreSQL trigger reads this transaction-local setting (SQLite has none)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('smp.audit_redaction', 'on', true)")
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('smp.audit_redaction', '', true)")


class AuditMiddleware:
    """Who did it and from where, for each audit entry a request writes: the actor is
    the request's user (loaded only when an entry is written) and the address our
    reading of it (auditlog's would trust the first X-Forwarded-For entry, which
    anyone can write). auditlog's own middleware connected and disconnected a signal
    receiver on every request, locking the dispatcher and clearing its cache of
    pre_save receivers for every model each time; one receiver (entry_actor, connected
    in core.apps) reads the request from a context variable instead."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        set_cid(request)
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def entry_actor(sender, instance, **kwargs) -> None:
    """pre_save of a LogEntry: its actor and address from the request being served."""
    if instance.actor_id is not None:
        return
    for name, value in _request_context().items():
        if getattr(instance, name, None) in (None, ""):
            setattr(instance, name, value)


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class EntryView:
    """One audit entry as the trail page shows it (no queries beyond the page's)."""

    entry: LogEntry
    action: str
    who: str
    kind: str
    client_id: int | None
    page: str
    changes: list[Change]


ACTION_LABELS = {
    LogEntry.Action.CREATE: "Created",
    LogEntry.Action.UPDATE: "Changed",
    LogEntry.Action.DELETE: "Deleted",
    LogEntry.Action.ACCESS: "Viewed",
}


def describe(entry: LogEntry) -> EntryView:
    data = entry.additional_data or {}
    model = entry.content_type.model_class()
    changes = []
    for name, values in (entry.changes_dict or {}).items():
        old, new = [*values, None, None][:2] if isinstance(values, list) else ("", "")
        changes.append(
            Change(field=_label(model, name), old=_shown(old), new=_shown(new))
        )
    if entry.actor:
        who = entry.actor.get_full_name() or entry.actor.get_username()
    else:
        who = entry.actor_email or "System"
    return EntryView(
        entry=entry,
        action="Exported" if data.get("export") else ACTION_LABELS[entry.action],
        who=who,
        kind=entry.content_type.name.capitalize(),
        client_id=data.get("client"),
        page=" · ".join(filter(None, [data.get("page", ""), data.get("export", "")])),
        changes=changes,
    )


def _shown(value) -> str:
    return "" if value in (None, "None") else str(value)


def _label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name).capitalize()
    except (AttributeError, FieldDoesNotExist):  # a deleted model or field
        return name
