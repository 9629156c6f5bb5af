"""Every write to client records: contact details, intake, contraindications,
suitability decisions, patch tests, consents and the CSV import."""

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max, Q
from django.db.models.functions import Lower
from django.utils import timezone

from clients import selectors
from clients.intake_answers import answers_from_json, answers_to_json
from clients.models import (
    Client,
    Consent,
    ConsentKind,
    ConsentText,
    Contraindication,
    Intake,
    IntakeEntry,
    IntakeSection,
    PatchTest,
    Recommendation,
    SuitabilityDecision,
    TreatmentGates,
)
from clients.phones import normalise_phone
from clients.zones import zone_label
from core import audit, date_input
from pigments.models import PigmentLot


class DuplicateClient(Exception):
    """A client that looks like one already on file; the person creating it decides."""

    def __init__(self, candidates: list[Client]):
        super().__init__("This looks like a client already on file.")
        self.candidates = candidates


CLIENT_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "email",
    "phone",
    "preferred_contact",
    "reminder_consent",
    "marketing_consent",
    "notes",
)


@transaction.atomic
def client_create(*, allow_duplicate: bool = False, **fields) -> Client:
    """Create a client; raise DuplicateClient unless told this is a different person."""
    client = Client(**{name: fields[name] for name in CLIENT_FIELDS if name in fields})
    client.phone = normalise_phone(client.phone)
    client.email = client.email.strip().lower()
    client.full_clean()
    if not allow_duplicate:
        candidates = selectors.client_duplicates(
            first_name=client.first_name,
            last_name=client.last_name,
            date_of_birth=client.date_of_birth,
            email=client.email,
            phone=client.phone,
        )
        if candidates:
            raise DuplicateClient(candidates)
    client.save()
    return client


@transaction.atomic
def client_update(*, client: Client, **fields) -> Client:
    for name in (*CLIENT_FIELDS, "email_opt_out"):
        if name in fields:
            setattr(client, name, fields[name])
    client.phone = normalise_phone(client.phone)
    client.email = client.email.strip().lower()
    client.full_clean()
    client.save()
    return client


@transaction.atomic
def intake_save(*, client: Client, fields: dict, by) -> Intake:
    """Save one section of the intake; the other sections are left as they are."""
    intake, _ = Intake.objects.select_for_update().get_or_create(client=client)
    before = {name: getattr(intake, name) for name in [*fields, "stage"]}
    for name, value in fields.items():
        setattr(intake, name, value)
    if not intake.scale:
        intake.stage = ""
    if all(getattr(intake, name) == value for name, value in before.items()):
        # Saved unchanged: nothing to write, and the last editor stays who they were.
        return intake
    intake.updated_by = by
    intake.full_clean()
    intake.save()
    return intake


@transaction.atomic
def intake_entry_submit(
    *, client: Client, section: str, values: dict
) -> IntakeEntry | None:
    """Keep what the client entered in one section of the intake, for a
    practitioner to review; the Intake itself is not touched. Entering the section
    again replaces the unreviewed answers. Nothing is written when the answers are
    those already waiting, or, with none waiting, those already on file (a form
    sent back unchanged). Returns the entry waiting for review, if any."""
    section = IntakeSection(section)
    answers = answers_to_json(section, values)
    if section == IntakeSection.CLASSIFICATION and not answers.get("scale"):
        answers["stage"] = ""
    Client.objects.select_for_update().filter(pk=client.pk).first()
    # Locked as the review locks it: a confirm committing meanwhile is not undone
    # by saving this entry back to pending over it.
    pending = (
        IntakeEntry.objects.select_for_update()
        .filter(client=client, section=section, outcome=IntakeEntry.Outcome.PENDING)
        .first()
    )
    if pending is not None and pending.answers == answers:
        return pending
    if pending is None:
        intake = selectors.intake_for(client)
        if intake is not None and answers == answers_to_json(
            section, {name: getattr(intake, name) for name in answers}
        ):
            return None
        pending = IntakeEntry(client=client, section=section)
    pending.answers = answers
    pending.entered_at = timezone.now()
    pending.full_clean()
    pending.save()
    return pending


def _intake_entry_check(entry: IntakeEntry, seen: dict[int, str] | None) -> None:
    """Refuse a review of answers other than those the practitioner read: the
    client may send the section again while the review page is open. `seen` maps
    each entry's id to its entered_at (ISO) as the page showed it."""
    if not entry.is_pending:
        raise ValidationError("This section has been reviewed already.")
    if seen is not None and seen.get(entry.pk) != entry.entered_at.isoformat():
        raise ValidationError(
            "The client changed their answers after you opened the page: "
            "read them again. Nothing was confirmed."
        )


def _intake_on_file_check(client: Client, on_file: str | None) -> None:
    """Refuse a confirmation over an intake that changed since the review page
    showed it (another practitioner recorded an allergy meanwhile): confirming
    would put the client's older answers over it. `on_file`: the intake's
    updated_at (ISO) as the page showed it, "" for none, None not to check."""
    if on_file is None:
        return
    intake = Intake.objects.select_for_update().filter(client=client).first()
    if (intake.updated_at.isoformat() if intake else "") != on_file:
        raise ValidationError(
            "The intake on file changed after you opened the page: read it again. "
            "Nothing was confirmed."
        )


@transaction.atomic
def intake_entry_confirm(
    *,
    entry: IntakeEntry,
    by,
    seen: dict[int, str] | None = None,
    on_file: str | None = None,
) -> Intake:
    """A practitioner confirms what the client entered in a section: it becomes the
    intake's answer for that section, recorded as confirmed by them."""
    entry = IntakeEntry.objects.select_for_update().get(pk=entry.pk)
    _intake_entry_check(entry, seen)
    _intake_on_file_check(entry.client, on_file)
    intake = intake_save(
        client=entry.client,
        fields=answers_from_json(entry.answers),
        by=by,
    )
    entry.outcome = IntakeEntry.Outcome.CONFIRMED
    entry.reviewed_at = timezone.now()
    entry.reviewed_by = by
    entry.full_clean()
    entry.save()
    return intake


@transaction.atomic
def intake_entries_confirm(
    *,
    client: Client,
    by,
    seen: dict[int, str] | None = None,
    on_file: str | None = None,
) -> Intake | None:
    """Confirm every section the client entered and nobody reviewed, at once (or,
    if any changed since the page showed it, none)."""
    _intake_on_file_check(client, on_file)
    intake = None
    for entry in selectors.intake_entries_pending(client):
        intake = intake_entry_confirm(entry=entry, by=by, seen=seen)
    return intake


@transaction.atomic
def intake_entry_set_aside(
    *, entry: IntakeEntry, by, seen: dict[int, str] | None = None
) -> IntakeEntry:
    """A practitioner reviews what the client entered and keeps the intake as it
    is (the client's answers stay on file as entered, closed)."""
    entry = IntakeEntry.objects.select_for_update().get(pk=entry.pk)
    _intake_entry_check(entry, seen)
    entry.outcome = IntakeEntry.Outcome.SET_ASIDE
    entry.reviewed_at = timezone.now()
    entry.reviewed_by = by
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def contraindication_record(
    *,
    client: Client,
    kind: str,
    severity: str,
    until: date | None = None,
    notes: str = "",
    document=None,
    by,
) -> Contraindication:
    contraindication = Contraindication(
        client=client,
        kind=kind,
        severity=severity,
        until=until,
        notes=notes,
        recorded_by=by,
    )
    if document is not None:
        contraindication.clearance_document = document
    contraindication.full_clean()
    contraindication.save()
    return contraindication


@transaction.atomic
def contraindication_clear(
    *, contraindication: Contraindication, document, cleared_on: date, by
) -> Contraindication:
    """Record a doctor's clearance, with the document that says so."""
    if contraindication.severity != "clearance":
        raise ValidationError("Only one that needs a doctor's clearance is cleared.")
    contraindication.clearance_document = document
    contraindication.cleared_on = cleared_on
    contraindication.full_clean()
    contraindication.save()
    return contraindication


@transaction.atomic
def contraindication_resolve(*, contraindication: Contraindication, by) -> None:
    if contraindication.resolved_at is not None:
        raise ValidationError("This contraindication was already marked as over.")
    contraindication.resolved_at = timezone.now()
    contraindication.save(update_fields=["resolved_at"])


@transaction.atomic
def suitability_decide(
    *,
    client: Client,
    decision: str,
    by,
    defer_until: date | None = None,
    override_reason: str = "",
    today: date | None = None,
) -> SuitabilityDecision:
    """Record the practitioner's decision beside the rules' recommendation at the time.

    Deciding against the recommendation needs a reason (a database constraint too).
    """
    assessment = selectors.client_assessment(client, today)
    if not assessment.is_complete:
        raise ValidationError("Complete the intake before deciding suitability.")
    if decision == Recommendation.DEFER and defer_until is None:
        defer_until = assessment.defer_until
    record = SuitabilityDecision(
        client=client,
        recommended=assessment.recommendation,
        reasons=assessment.reasons,
        decision=decision,
        defer_until=defer_until if decision == Recommendation.DEFER else None,
        override_reason=override_reason.strip()
        if decision != assessment.recommendation
        else "",
        decided_by=by,
        decided_at=timezone.now(),
    )
    record.full_clean()
    record.save()
    return record


def _check_lots(lots, on: date) -> None:
    """A patch test puts pigment on skin: the same lots are refused as for a session
    (past expiry or shelf life after opening, quarantined, recalled)."""
    refused = [
        f"{lot} ({reason})" for lot in lots if (reason := lot.unusable_reason(on))
    ]
    if refused:
        raise ValidationError(
            "This pigment lot cannot be used: "
            + "; ".join(refused)
            + ". Choose a lot in date, within its shelf life and not recalled."
        )


@transaction.atomic
def patch_test_apply(
    *, client: Client, lots: list[PigmentLot], applied_at: datetime, notes: str, by
) -> PatchTest:
    if not lots:
        raise ValidationError("Choose the pigment lot(s) tested.")
    _check_lots(lots, timezone.localdate(applied_at))
    test = PatchTest(client=client, applied_at=applied_at, notes=notes, recorded_by=by)
    test.full_clean()
    test.save()
    test.lots.set(lots)
    return test


def read_after() -> timedelta:
    return timedelta(hours=settings.PATCH_TEST_READ_AFTER_HOURS)


@transaction.atomic
def patch_test_read(
    *, patch_test: PatchTest, result: str, read_at: datetime, notes: str, by
) -> PatchTest:
    patch_test = PatchTest.objects.select_for_update().get(pk=patch_test.pk)
    if patch_test.withdrawn_at is not None:
        raise ValidationError("This patch test was withdrawn; it cannot be read.")
    if patch_test.result != PatchTest.Result.PENDING:
        raise ValidationError("This patch test has already been read.")
    if result not in (PatchTest.Result.PASSED, PatchTest.Result.FAILED):
        raise ValidationError("A reading is passed or failed.")
    earliest = patch_test.applied_at + read_after()
    if read_at < earliest:
        # In the zone the reading form's times are typed in, not UTC.
        local = timezone.localtime(earliest)
        raise ValidationError(
            f"A patch test is read {settings.PATCH_TEST_READ_AFTER_HOURS} hours after "
            f"it was applied at the earliest: not before {local:%-d %b %Y %H:%M} "
            f"{zone_label(timezone.get_current_timezone_name())}."
        )
    if read_at > timezone.now():
        raise ValidationError("The reading cannot be in the future.")
    patch_test.result = result
    patch_test.read_at = read_at
    if notes:
        patch_test.notes = f"{patch_test.notes}\n{notes}".strip()
    patch_test.full_clean()
    patch_test.save()
    return patch_test


@transaction.atomic
def patch_test_withdraw(*, patch_test: PatchTest, reason: str, by) -> PatchTest:
    """Withdraw a patch test recorded by mistake. The row stays (with who withdrew
    it, when and why; the audit trail has the change); from now on no gate or
    suitability rule counts it."""
    patch_test = PatchTest.objects.select_for_update().get(pk=patch_test.pk)
    if patch_test.withdrawn_at is not None:
        raise ValidationError("This patch test has already been withdrawn.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the patch test is withdrawn.")
    patch_test.withdrawn_at = timezone.now()
    patch_test.withdrawn_by = by
    patch_test.withdrawal_reason = reason
    patch_test.full_clean()
    patch_test.save()
    return patch_test


@transaction.atomic
def patch_test_waive(*, client: Client, waiver: Consent, notes: str, by) -> PatchTest:
    """The client declines a patch test and signs a waiver (a consent text)."""
    if (
        waiver.text.kind != ConsentKind.PATCH_TEST_WAIVER
        or waiver.client_id != client.pk
    ):
        raise ValidationError("The waiver must be this client's signed waiver.")
    test = PatchTest(
        client=client,
        applied_at=waiver.signed_at,
        result=PatchTest.Result.WAIVED,
        waiver=waiver,
        notes=notes,
        recorded_by=by,
    )
    test.full_clean()
    test.save()
    return test


@transaction.atomic
def consent_withdraw(*, consent: Consent) -> Consent:
    """The client withdraws a consent: it no longer counts from now. The signed copy
    stays as the record that it was given."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at is not None:
        raise ValidationError("This consent was already withdrawn.")
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_at"])
    return consent


@transaction.atomic
def consent_text_publish(*, kind: str, title: str, body: str) -> ConsentText:
    """A new version of a consent's wording; clients are asked to sign it again."""
    latest = ConsentText.objects.filter(kind=kind).aggregate(v=Max("version"))["v"]
    text = ConsentText(kind=kind, version=(latest or 0) + 1, title=title, body=body)
    text.full_clean()
    text.save()
    return text


@transaction.atomic
def consent_sign(
    *,
    client: Client,
    text: ConsentText,
    typed_name: str = "",
    signature_png: bytes | None = None,
    by,
) -> Consent:
    """Sign a consent text: a signature drawn on screen (PNG) or the name typed."""
    current = selectors.consent_texts_current().get(text.kind)
    if current is None or current.pk != text.pk:
        raise ValidationError("This text has a newer version; sign that one.")
    consent = Consent(
        client=client,
        text=text,
        signed_at=timezone.now(),
        witnessed_by=by,
        method=Consent.Method.DRAWN if signature_png else Consent.Method.TYPED,
        typed_name="" if signature_png else typed_name.strip(),
    )
    if signature_png:
        consent.signature.save(
            f"client-{client.pk}-{text.kind}-v{text.version}.png",
            ContentFile(signature_png),
            save=False,
        )
    # No witness: the client signed on their own (online, typing their name).
    consent.full_clean(exclude=["witnessed_by"] if by is None else None)
    consent.save()
    return consent


# Import of existing clients from a spreadsheet.

IMPORT_COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "date_of_birth",
    "reminder_consent",
    "marketing_consent",
    "notes",
)
IMPORT_MAX_ROWS = 5000
TRUE = {"yes", "y", "true", "1", "x"}
FALSE = {"no", "n", "false", "0", ""}


@dataclass
class ImportRow:
    number: int
    values: dict
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportPreview:
    rows: list[ImportRow]
    errors: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors and all(not row.errors for row in self.rows)

    @property
    def error_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.errors]


def _parse_date(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            found = datetime.strptime(value, pattern).replace(tzinfo=UTC).date()
        except ValueError:
            continue
        try:
            return date_input.check_date(found)
        except date_input.DateOutOfRange as error:
            raise ValidationError(f"date of birth “{value}”: {error.message}") from None
    raise ValidationError(f"date of birth “{value}” is not a date (use 1985-04-30).")


def _parse_bool(name: str, value: str, default: bool) -> bool:
    value = value.strip().lower()
    if value == "":
        return default
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValidationError(f"{name.replace('_', ' ')} “{value}” is not yes or no.")


IMPORT_PARSERS = (
    ("date_of_birth", _parse_date),
    ("phone", normalise_phone),
    ("reminder_consent", lambda v: _parse_bool("reminder_consent", v, True)),
    ("marketing_consent", lambda v: _parse_bool("marketing_consent", v, False)),
)


def clients_import_preview(text: str) -> ImportPreview:
    """Check every row of a CSV export before anything is written."""
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = headers
    missing = {"first_name", "last_name"} - set(headers)
    if missing:
        return ImportPreview(
            [], [f"The file needs the columns {', '.join(sorted(missing))}."]
        )
    unknown = set(headers) - set(IMPORT_COLUMNS)
    if unknown:
        return ImportPreview(
            [],
            [
                f"Unknown columns: {', '.join(sorted(unknown))}. "
                f"Use: {', '.join(IMPORT_COLUMNS)}."
            ],
        )
    rows = []
    seen_email, seen_phone = {}, {}
    for number, raw in enumerate(reader, start=2):
        if number - 1 > IMPORT_MAX_ROWS:
            return ImportPreview(rows, [f"At most {IMPORT_MAX_ROWS} rows at a time."])
        row = ImportRow(number, {})
        raw = {k: (v or "").strip() for k, v in raw.items() if k}
        values = {
            "first_name": raw.get("first_name", ""),
            "last_name": raw.get("last_name", ""),
            "email": raw.get("email", "").lower(),
            "notes": raw.get("notes", ""),
        }
        failed = []
        for name, parse in IMPORT_PARSERS:
            try:
                values[name] = parse(raw.get(name, ""))
            except ValidationError as error:
                row.errors.extend(error.messages)
                failed.append(name)
        row.values = values
        try:
            Client(**values).full_clean(exclude=failed)
        except ValidationError as error:
            row.errors.extend(
                f"{name.replace('_', ' ')}: {' '.join(messages)}"
                for name, messages in error.message_dict.items()
            )
        for key, seen in (("email", seen_email), ("phone", seen_phone)):
            if values.get(key):
                if values[key] in seen:
                    row.errors.append(
                        f"same {key} as row {seen[values[key]]} of this file."
                    )
                seen.setdefault(values[key], number)
        rows.append(row)
    if not rows:
        return ImportPreview([], ["The file has no rows."])
    on_file = _on_file([row.values for row in rows if not row.errors])
    for row in rows:
        if not row.errors and on_file(row.values):
            row.errors.append("already on file (same email, phone, or name and birth).")
    return ImportPreview(rows)


def _on_file(rows: list[dict]):
    """A test for "this row matches a client on file", the same match as
    selectors.client_duplicates, from one query for the whole file."""
    emails = {row["email"] for row in rows if row["email"]}
    phones = {row["phone"] for row in rows if row.get("phone")}
    births = {row["date_of_birth"] for row in rows if row.get("date_of_birth")}
    found = Client.objects.annotate(
        email_lower=Lower("email"),
        first_lower=Lower("first_name"),
        last_lower=Lower("last_name"),
    ).filter(
        Q(email_lower__in=emails) | Q(phone__in=phones) | Q(date_of_birth__in=births)
    )
    known_emails, known_phones, known_people = set(), set(), set()
    for email, phone, first, last, born in found.values_list(
        "email_lower", "phone", "first_lower", "last_lower", "date_of_birth"
    ):
        known_emails.add(email)
        known_phones.add(phone)
        known_people.add((first, last, born))

    def matches(row: dict) -> bool:
        born = row.get("date_of_birth")
        person = (row["first_name"].lower(), row["last_name"].lower(), born)
        return bool(
            (row["email"] and row["email"] in known_emails)
            or (row.get("phone") and row["phone"] in known_phones)
            or (born is not None and person in known_people)
        )

    return matches


@transaction.atomic
def clients_import(text: str) -> list[Client]:
    """Import every row or none: any error leaves the database as it was."""
    preview = clients_import_preview(text)
    if not preview.is_valid:
        raise ValidationError("The file has errors; nothing was imported.")
    created = Client.objects.bulk_create(Client(**row.values) for row in preview.rows)
    # bulk_create sends no signals, so the audit trail is written here.
    audit.bulk_create_record(instances=created, how="CSV import")
    return created


@transaction.atomic
def client_unsubscribe(*, client: Client, all_email: bool = False) -> Client:
    """From the link in every email: stop reminders and recalls, or (all_email) every
    email, aftercare included."""
    client = Client.objects.select_for_update().get(pk=client.pk)
    client.reminder_consent = False
    if all_email:
        client.email_opt_out = True
    # save(), not update(): the audit trail records the change.
    client.save(update_fields=["reminder_consent", "email_opt_out"])
    return client


@transaction.atomic
def treatment_gates_update(*, form, by) -> TreatmentGates:
    """Save which gates before treatment the clinic enforces (audited)."""
    gates = form.save(commit=False)
    gates.pk = 1
    gates.updated_by = by
    gates.full_clean()
    gates.save()
    return gates


@transaction.atomic
def client_for_online_booking(
    *,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    reminder_consent: bool,
    new_record: bool = False,
) -> Client:
    """The client an online booking is for: the one already on file with this email
    and name, else a new client for the front desk (intake to do).

    A stranger typing someone's email gets a new record rather than a booking in
    theirs, and nothing on file is changed by a form anyone can post. `new_record`:
    always a new record (a booking that brings photos and a signed consent, which
    must not land in a record the sender may not own; the front desk merges).
    """
    email = email.strip().lower()
    known = (
        None
        if new_record
        else (
            Client.objects.filter(
                email=email,
                first_name__iexact=first_name.strip(),
                last_name__iexact=last_name.strip(),
                erased_at__isnull=True,
            )
            .order_by("pk")
            .first()
        )
    )
    if known is not None:
        return known
    return client_create(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email,
        phone=phone,
        reminder_consent=reminder_consent,
        notes="Booked a consultation online.",
        allow_duplicate=True,
    )
