from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from auditlog.context import disable_auditlog
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from appointments.models import Appointment
from clients.models import (
    Client,
    Consent,
)
from core import audit
from core.dates import add_months
from payments import services as payment_services
from privacy import records as privacy
from treatments.models import TreatmentPlan


class ErasureRefused(ValidationError):
    pass


@transaction.atomic
def client_erase(*, client: Client, by, reason: str, confirm_name: str) -> Client:
    """Erase a client (GDPR Art. 17): the person goes, the regulated facts stay.

    Removed: name, date of birth, contact details, notes, intake, contraindications
    and their documents, photos, signatures, messages, and every free-text note on
    the rest. Kept, anonymised, until `retain_until`: which sessions were done when,
    by which practitioner (with licence), where, with which needles and pigment
    lots; patch tests, suitability decisions and the fact and version of each
    consent.
    The audit trail's entries about the client lose the name. Files go after commit.
    """
    client = Client.objects.select_for_update().get(pk=client.pk)
    if client.erased_at:
        raise ErasureRefused("This client has already been erased.")
    if " ".join(confirm_name.split()).casefold() != client.full_name.casefold():
        raise ErasureRefused("Type the client's full name exactly to confirm.")
    reason = " ".join(reason.split())
    if not reason:
        raise ErasureRefused("Give the reason, such as the date of the request.")
    now = timezone.now()
    appointments = Appointment.objects.filter(client=client)
    last = appointments.aggregate(last=Max("starts_at"))["last"] or now
    files = _stored_files([client.pk])

    upcoming = (
        Appointment.Status.BOOKED,
        Appointment.Status.CONFIRMED,
        Appointment.Status.CHECKED_IN,
    )
    appointments.filter(starts_at__gt=now, status__in=upcoming).update(
        status=Appointment.Status.CANCELLED, cancellation_reason=privacy.ERASED_TEXT
    )
    # A consent keeps its kind, version and date, not the signature. (First: the
    # database wants a signed consent to have a signature or a typed name.)
    Consent.objects.filter(client=client).update(
        method=Consent.Method.ERASED, typed_name="", signature=""
    )
    # Every row about the client, found by introspection: free text emptied (but for
    # needles, lots and licence), messages, photos, intake, waitlist entries gone. The
    # signed decision that treatment was suitable stays (a plan rests on it).
    privacy.client_rows_erase(client)

    name = client.full_name
    client.first_name, client.last_name = "Erased", f"client {client.pk}"
    client.date_of_birth = None
    client.email = client.phone = client.notes = ""
    client.reminder_consent = client.marketing_consent = False
    client.erased_at = now
    client.retain_until = add_months(
        max(last, now).date(), 12 * settings.RECORD_RETENTION_YEARS
    )
    client.full_clean()
    client.save()
    audit.client_redact(client_id=client.pk, name=name, replacement=client.full_name)
    audit.erasure_record(client=client, reason=reason)
    transaction.on_commit(lambda: _delete_files(files))
    return client


def _stored_files(client_ids: list[int]) -> list:
    """What to delete from storage once the rows are gone (after commit)."""
    return [
        (file.storage, file.name)
        for _, file in privacy.client_files(client_ids, thumbnails=True)
        if file
    ]


def _delete_files(files: list) -> None:
    for storage, name in files:
        storage.delete(name)


@dataclass
class PurgeResult:
    erased_clients_purged: int = 0
    inactive_clients_purged: int = 0
    audit_entries_purged: int = 0
    login_records_purged: int = 0


@transaction.atomic
def records_purge_expired(*, today: date | None = None) -> PurgeResult:
    """Delete what has passed its retention period (manage.py purge_expired_records).

    - Erased clients whose `retain_until` has passed: everything left of them.
    - Clients with no appointment (and no new record) for RECORD_RETENTION_YEARS:
      their whole record, files included.
    - Audit entries older than the same period; login records older than
      LOGIN_LOG_RETENTION_DAYS.
    """
    today = today or timezone.localdate()
    years = settings.RECORD_RETENTION_YEARS
    cutoff_day = add_months(today, -12 * years)
    cutoff = datetime.combine(cutoff_day, datetime.min.time(), tzinfo=UTC)
    result = PurgeResult()

    expired = Client.objects.filter(retain_until__lt=today)
    result.erased_clients_purged = _clients_delete(expired)
    inactive = Client.objects.filter(
        erased_at__isnull=True, created_at__lt=cutoff
    ).exclude(appointments__starts_at__gte=cutoff)
    result.inactive_clients_purged = _clients_delete(inactive)

    with audit.redaction_allowed():
        result.audit_entries_purged = audit.entries_purge_before(cutoff)
    login_cutoff = timezone.now() - timedelta(days=settings.LOGIN_LOG_RETENTION_DAYS)
    result.login_records_purged = sum(
        model.objects.filter(**{field: login_cutoff}).delete()[0]
        for model, field in (
            (AccessLog, "attempt_time__lt"),
            (AccessAttempt, "attempt_time__lt"),
            (AccessFailureLog, "attempt_time__lt"),
        )
    )
    return result


def _clients_delete(clients) -> int:
    """Delete clients with all they own, files after commit."""
    ids = list(clients.values_list("pk", flat=True))
    files = []
    for chunk in range(0, len(ids), 500):
        batch = Client.objects.filter(pk__in=ids[chunk : chunk + 500])
        files += _stored_files(ids[chunk : chunk + 500])
        for client in batch:
            # The trail keeps its entries, not the name of a client long gone.
            audit.client_redact(
                client_id=client.pk,
                name=client.full_name,
                replacement=f"Purged client {client.pk}",
            )
        # One row per deleted record would put the purged back in the trail.
        with disable_auditlog():
            # In the order the protecting keys ask: appointments and plans (which
            # rest on suitability decisions) before the client.
            payment_services.client_ledger_purge(client_ids=ids[chunk : chunk + 500])
            Appointment.objects.filter(client__in=batch).delete()
            TreatmentPlan.objects.filter(client__in=batch).delete()
            batch.delete()
    transaction.on_commit(lambda: _delete_files(files))
    return len(ids)
