import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.db.models.expressions import Expression, RawSQL
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from clients import sqlite_search, suitability
from clients.intake_answers import answers_from_json
from clients.lifecycle import ClientStage, client_stage
from clients.models import (
    FITZPATRICK_TYPES,
    INTAKE_SECTION_FIELDS,
    Client,
    Consent,
    ConsentKind,
    ConsentText,
    Contraindication,
    HairLossCause,
    Intake,
    IntakeEntry,
    IntakeSection,
    PatchTest,
    Recommendation,
    Scale,
    SuitabilityDecision,
    TreatmentGates,
    search_text,
)
from clients.phones import phone_search_digits
from core import sql
from core.roles import Capability, can, refuse_erased


@functools.cache
def _sqlite_search_index() -> bool:
    """Whether this SQLite database has the trigram full-text index (needs FTS5)."""
    return sqlite_search.TABLE in sqlite_search.present(connection)


def _word_filter(word: str) -> Q:
    # The trigram index holds substrings of three characters or more.
    if len(word) >= 3 and connection.vendor == "sqlite" and _sqlite_search_index():
        phrase = '"' + word.replace('"', '""') + '"'
        matches = RawSQL(
            "SELECT rowid FROM clients_client_search WHERE clients_client_search "
            "MATCH %s",
            [phrase],
        )
        found = Q(pk__in=matches)
    else:
        found = Q(search_text__icontains=word)
    digits = phone_search_digits(word)
    if len(digits) >= 3:
        found |= Q(phone__contains=digits)
    return found


def client_search(*, user, query: str, limit: int | None = 8) -> QuerySet[Client]:
    """Clients whose name, email or phone holds every word of the query.

    One query whatever the number of clients. Trigram indexes serve it: on
    PostgreSQL for the `icontains` lookups (migrations 0003 and 0010), on SQLite a
    full-text table with the trigram tokenizer (0011).
    """
    # NUL is no character a name, email or phone holds, and PostgreSQL refuses it in
    # a query (a server error): it is dropped.
    words = query.replace("\x00", "").split()[:5]
    if not can(user, Capability.BOOKING):
        return Client.objects.none()
    found = Client.objects.filter(erased_at__isnull=True).alias(
        search_text=search_text()
    )
    for word in words:
        found = found.filter(_word_filter(word))
    if not words:
        found = found.order_by("-created_at", "-pk")
    return found[:limit] if limit else found


# What the apps above clients add to each row of the client list. Each registers, in
# its AppConfig.ready(), a function that reads its facts for a page's clients in one
# query (client ids -> {client id: {name: value}}): appointments the last visit and
# the next appointment (`last_visit_at`, `next_appointment_at`, with their zones),
# treatments whether a course is under way or done (`course_active`,
# `course_completed`). A sort by one of them registers the expression it orders by.
#
# Facts by page, not annotations on the search: a dozen subqueries on the search's one
# query cost about 8 ms of Python to build and compile on every request, twice the
# search itself; a few queries over one page's ids cost a fraction of that.
ClientListFacts = Callable[[list[int]], dict[int, dict[str, object]]]
_client_list_facts: list[ClientListFacts] = []
_client_list_orders: dict[str, Callable[[], Expression]] = {}


def client_list_facts_register(load: ClientListFacts) -> None:
    if load not in _client_list_facts:
        _client_list_facts.append(load)


def client_list_order_register(sort: str, order: Callable[[], Expression]) -> None:
    """`order` returns the expression to order by (with its direction and where
    clients without it go)."""
    _client_list_orders[sort] = order


# The client list's orders: the name, the latest visit first, the soonest
# appointment first; clients with neither go last.
CLIENT_LIST_SORTS = {
    "name": "Name",
    "last_visit": "Last visit",
    "next_appointment": "Next appointment",
}


def _intake_complete(client_field: str = "pk") -> Exists:
    """intake_missing_sections() == [] as a condition the database evaluates, for
    the client in the outer query's `client_field`."""
    return Exists(_complete_intakes().filter(client=OuterRef(client_field)))


def _complete_intakes() -> QuerySet[Intake]:
    complete = Intake.objects.filter(
        fitzpatrick__isnull=False,
        pigment_reaction__isnull=False,
    ).exclude(Q(hair_loss_cause="") | Q(scale="") | Q(stage=""))
    return complete.exclude(
        hair_loss_cause="chemotherapy", chemotherapy_ended_on__isnull=True
    )


def client_list(*, user, query: str, sort: str = "") -> QuerySet[Client]:
    """The client list: the search's clients in the order asked for. Their stage's
    facts, last visit and next appointment come from client_list_facts(), for the
    page shown."""
    found = client_search(user=user, query=query, limit=None)
    if sort == "name":
        return found.order_by("last_name", "first_name", "pk")
    if sort in _client_list_orders:
        return found.order_by(_client_list_orders[sort](), "pk")
    return found


def client_list_facts(clients: list[Client]) -> None:
    """Sets each client's facts for the list (read by client_list_stage() and the
    rows): the intake's completeness, the latest suitability decision and what the
    apps above add. A fixed few queries, whatever the number of clients."""
    ids = [client.pk for client in clients]
    if not ids:
        return
    facts: dict[int, dict[str, object]] = {pk: {} for pk in ids}
    for pk, complete, decision, defer_until in sql.fetch(
        _client_facts_sql(len(ids)),
        [HairLossCause.CHEMOTHERAPY, *ids],
        [
            None,
            BooleanField(),
            None,
            SuitabilityDecision._meta.get_field("defer_until"),
        ],
    ):
        facts[pk].update(
            intake_complete=complete,
            latest_decision=decision,
            latest_defer_until=defer_until,
        )
    for load in _client_list_facts:
        for pk, found in load(ids).items():
            facts[pk].update(found)
    for client in clients:
        for name, value in facts[client.pk].items():
            setattr(client, name, value)


@functools.lru_cache(maxsize=64)
def _client_facts_sql(count: int) -> str:
    """Each client's intake completeness (the rule of _complete_intakes() and
    intake_missing_sections()) and latest decision, in SQL: the ORM took about 3 ms of
    Python to build and compile the two queries this replaces (core.sql)."""
    latest = f"""
        FROM {sql.table(SuitabilityDecision)} d WHERE d.client_id = c.id
        ORDER BY d.decided_at DESC, d.id DESC LIMIT 1"""
    # Table names and placeholders only: every value is a parameter.
    return f"""
        SELECT c.id,
            EXISTS (
                SELECT 1 FROM {sql.table(Intake)} i WHERE i.client_id = c.id
                AND i.fitzpatrick IS NOT NULL AND i.pigment_reaction IS NOT NULL
                AND i.hair_loss_cause <> '' AND i.scale <> '' AND i.stage <> ''
                AND NOT (i.hair_loss_cause = %s AND i.chemotherapy_ended_on IS NULL)
            ),
            (SELECT d.decision {latest}),
            (SELECT d.defer_until {latest})
        FROM {sql.table(Client)} c
        WHERE c.id IN ({sql.placeholders(range(count))})"""  # noqa: S608


def client_list_stage(client: Client, today: date | None = None) -> ClientStage:
    """The stage of a client whose facts client_list_facts() read."""
    today = today or timezone.localdate()
    decision = getattr(client, "latest_decision", None)
    defer_until = getattr(client, "latest_defer_until", None)
    allowed = decision in (Recommendation.SUITABLE, Recommendation.CAUTION) or (
        decision == Recommendation.DEFER
        and defer_until is not None
        and defer_until <= today
    )
    return client_stage(
        intake_complete=bool(getattr(client, "intake_complete", False)),
        treatment_allowed=allowed,
        course_active=bool(getattr(client, "course_active", False)),
        course_completed=bool(getattr(client, "course_completed", False)),
    )


def client_get_for_user(user, pk: int) -> Client:
    """A client any booking role may see (contact details, bookings, status).

    What is left of an erased client is for managers only."""
    if not can(user, Capability.BOOKING):
        raise Http404("No such client.")
    client = get_object_or_404(Client, pk=pk)
    refuse_erased(user, client, "No such client.")
    return client


def clinical_client_get_for_user(user, pk: int) -> Client:
    """A client whose health record the user may read: practitioners and managers."""
    if not can(user, Capability.CLINICAL):
        raise Http404("No such client.")
    return get_object_or_404(Client, pk=pk, erased_at__isnull=True)


def client_duplicates(
    *,
    first_name: str = "",
    last_name: str = "",
    date_of_birth: date | None = None,
    email: str = "",
    phone: str = "",
    exclude_pk: int | None = None,
) -> list[Client]:
    """Likely the same person: same email, same phone, or same name and birth date."""
    same = Q(pk__in=[])
    if email:
        same |= Q(email__iexact=email)
    if phone:
        same |= Q(phone=phone)
    if first_name and last_name and date_of_birth:
        same |= Q(
            first_name__iexact=first_name,
            last_name__iexact=last_name,
            date_of_birth=date_of_birth,
        )
    found = Client.objects.filter(same)
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    return list(found[:5])


def intake_for(client: Client) -> Intake | None:
    return Intake.objects.filter(client=client).first()


def intake_missing_sections(intake: Intake | None) -> list[str]:
    """The intake sections still to fill in (empty when the intake is complete):
    the cause of hair loss, the scale and stage, the skin type, and the health
    questions (answered once previous pigment reactions is yes or no)."""
    if intake is None:
        return ["not started"]
    missing = []
    if not intake.hair_loss_cause:
        missing.append("hair loss")
    if not (intake.scale and intake.stage):
        missing.append("classification")
    if intake.fitzpatrick is None:
        missing.append("skin type")
    if intake.pigment_reaction is None:
        missing.append("health")
    if intake.hair_loss_cause == "chemotherapy" and not intake.chemotherapy_ended_on:
        missing.append("the date chemotherapy ended")
    return missing


def intake_entries_pending(client: Client) -> list[IntakeEntry]:
    """What the client entered in the portal and no practitioner has reviewed yet,
    in the intake's order of sections."""
    order = list(IntakeSection.values)
    return sorted(
        IntakeEntry.objects.filter(client=client, outcome=IntakeEntry.Outcome.PENDING),
        key=lambda entry: order.index(entry.section),
    )


def intake_entry_pending_get(client: Client, pk: int) -> IntakeEntry:
    """One unreviewed entry of this client's (404 for another's, or a reviewed one)."""
    return get_object_or_404(
        IntakeEntry, client=client, pk=pk, outcome=IntakeEntry.Outcome.PENDING
    )


def intake_forms_annotations(client_field: str = "pk") -> dict[str, Exists]:
    """The facts the day list's Forms column needs about the health intake, as
    annotations for a query whose rows name the client in `client_field` (an
    appointment's "client"): the intake on file is complete; the client entered
    answers that wait for review. No query of their own."""
    return {
        "intake_complete": _intake_complete(client_field),
        "intake_entered": Exists(
            IntakeEntry.objects.filter(
                client=OuterRef(client_field), outcome=IntakeEntry.Outcome.PENDING
            )
        ),
    }


def intake_forms_text(*, complete: bool, entered: bool) -> str:
    """The health intake on the day list: "" when the intake on file is complete,
    "to review" when the client entered answers that wait for a practitioner, else
    "to fill in"."""
    if complete:
        return ""
    return "to review" if entered else "to fill in"


def intake_forms_state(client_ids: Iterable[int]) -> dict[int, str]:
    """intake_forms_text() for each of these clients, in one query."""
    rows = (
        Client.objects.filter(pk__in=set(client_ids))
        .annotate(**intake_forms_annotations())
        .values_list("pk", "intake_complete", "intake_entered")
    )
    return {
        pk: intake_forms_text(complete=complete, entered=entered)
        for pk, complete, entered in rows
    }


@dataclass(frozen=True)
class IntakeAnswerRow:
    """One question of a section: the answer on file beside the client's."""

    label: str
    on_file: str
    entered: str

    @property
    def changed(self) -> bool:
        return self.on_file != self.entered


@dataclass(frozen=True)
class IntakeReviewSection:
    entry: IntakeEntry
    title: str
    rows: list[IntakeAnswerRow]

    @property
    def changes(self) -> int:
        return sum(row.changed for row in self.rows)


def _intake_answer_text(name: str, value) -> str:
    """An intake answer as the client page would show it ("" when not given)."""
    if value in (None, ""):
        return ""
    if name == "fitzpatrick":
        return FITZPATRICK_TYPES.get(value, str(value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return f"{value:%-d %b %Y}"
    field = Intake._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _intake_rows(section: str, on_file: dict, entered: dict) -> list[IntakeAnswerRow]:
    if section == IntakeSection.CLASSIFICATION:

        def stage(values):
            if not (values.get("scale") and values.get("stage")):
                return ""
            return f"{Scale(values['scale']).label} {values['stage']}"

        return [IntakeAnswerRow("Scale and stage", stage(on_file), stage(entered))]
    return [
        IntakeAnswerRow(
            str(Intake._meta.get_field(name).verbose_name).capitalize(),
            _intake_answer_text(name, on_file.get(name)),
            _intake_answer_text(name, entered.get(name)),
        )
        for name in INTAKE_SECTION_FIELDS[section]
    ]


def intake_review(client: Client) -> list[IntakeReviewSection]:
    """Each section the client entered and nobody reviewed, question by question:
    the intake's answer on file beside the client's (a changed answer is a proposed
    change until a practitioner confirms it)."""
    intake = intake_for(client)
    sections = []
    for entry in intake_entries_pending(client):
        fields = INTAKE_SECTION_FIELDS[entry.section]
        on_file = {name: getattr(intake, name) for name in fields} if intake else {}
        entered = answers_from_json(entry.answers)
        sections.append(
            IntakeReviewSection(
                entry,
                IntakeSection(entry.section).label,
                _intake_rows(entry.section, on_file, entered),
            )
        )
    return sections


def treatment_gates() -> TreatmentGates:
    """The clinic's gates before treatment; all on until a manager changes them
    (an unsaved row of defaults: reading never writes)."""
    return TreatmentGates.objects.filter(pk=1).first() or TreatmentGates(pk=1)


def clinical_record_prefetch(client: Client) -> Client:
    """Load a client's contraindications and patch tests (with their lots) once, for
    the selectors and templates of a page that reads them several times: each
    reads `.all()`, which the prefetch answers."""
    prefetch_related_objects(
        [client],
        "contraindications",
        Prefetch("patch_tests", PatchTest.objects.prefetch_related("lots__pigment")),
    )
    return client


def active_contraindications(client: Client) -> list[Contraindication]:
    return [c for c in client.contraindications.all() if c.resolved_at is None]


def client_assessment(client: Client, today: date | None = None):
    """The rules' recommendation for a client now, from three queries."""
    today = today or timezone.localdate()
    intake = intake_for(client)
    facts = None
    if intake is not None:
        facts = suitability.IntakeFacts(
            hair_loss_cause=intake.hair_loss_cause,
            alopecia_active=intake.alopecia_active,
            transplant=intake.transplant,
            transplant_on=intake.transplant_on,
            chemotherapy_ended_on=intake.chemotherapy_ended_on,
            pigment_reaction=intake.pigment_reaction,
            date_of_birth=client.date_of_birth,
        )
    contraindications = [
        suitability.ContraindicationFacts(
            kind=c.kind,
            severity=c.severity,
            label=c.get_kind_display(),
            until=c.until,
            cleared_on=c.cleared_on,
        )
        for c in active_contraindications(client)
    ]
    # Newest first (PatchTest.Meta.ordering), from a prefetch when there is one.
    latest = next(
        (
            t
            for t in client.patch_tests.all()
            if t.result != PatchTest.Result.PENDING and t.withdrawn_at is None
        ),
        None,
    )
    return suitability.assess(
        intake=facts,
        contraindications=contraindications,
        patch_test_results=[latest.result] if latest else [],
        today=today,
    )


def suitability_latest(client: Client) -> SuitabilityDecision | None:
    return client.suitability_decisions.select_related("decided_by").first()


def patch_test_valid_for(client: Client, starts_at: datetime) -> PatchTest | None:
    """A passed or waived patch test that covers an appointment at `starts_at`:
    applied within PATCH_TEST_VALID_DAYS before it, and read (or waived) by then."""
    since = starts_at - timedelta(days=settings.PATCH_TEST_VALID_DAYS)
    return (
        client.patch_tests.filter(
            applied_at__gte=since, applied_at__lte=starts_at, withdrawn_at__isnull=True
        )
        .filter(
            Q(result=PatchTest.Result.PASSED, read_at__lte=starts_at)
            | Q(result=PatchTest.Result.WAIVED)
        )
        .first()
    )


def patch_test_uncovered(client: Client, pigments: Iterable, on: datetime) -> list:
    """The pigments (of `pigments`, in their order) that no patch test covers for a
    session at `on`.

    A test covers the pigment products (brand and shade) of the lots it used, when it
    was applied within PATCH_TEST_VALID_DAYS before `on` and passed by then. A signed
    waiver covers every pigment: the client declined testing altogether.
    """
    pigments = list(dict.fromkeys(pigments))
    since = on - timedelta(days=settings.PATCH_TEST_VALID_DAYS)
    rows = (
        client.patch_tests.filter(
            applied_at__gte=since, applied_at__lte=on, withdrawn_at__isnull=True
        )
        .filter(
            Q(result=PatchTest.Result.PASSED, read_at__lte=on)
            | Q(result=PatchTest.Result.WAIVED)
        )
        .values_list("result", "lots__pigment_id")
    )
    covered = set()
    for result, pigment_id in rows:
        if result == PatchTest.Result.WAIVED:
            return []
        covered.add(pigment_id)
    return [pigment for pigment in pigments if pigment.pk not in covered]


def consent_texts_current() -> dict[str, ConsentText]:
    """The newest version of each kind of consent text."""
    current = {}
    for text in ConsentText.objects.order_by("kind", "-version"):
        current.setdefault(text.kind, text)
    return current


@dataclass(frozen=True)
class ConsentStatus:
    kind: str
    label: str
    text: ConsentText | None
    signed: Consent | None

    @property
    def needs_signature(self) -> bool:
        """No signature for the current version (a new version asks again)."""
        return self.text is not None and (
            self.signed is None or self.signed.text_id != self.text.pk
        )


def consent_statuses(client: Client) -> list[ConsentStatus]:
    current = consent_texts_current()
    latest: dict[str, Consent] = {}
    for consent in client.consents.filter(withdrawn_at__isnull=True).select_related(
        "text"
    ):
        latest.setdefault(consent.text.kind, consent)
    return [
        ConsentStatus(kind, label, current.get(kind), latest.get(kind))
        for kind, label in ConsentKind.choices
        if kind != ConsentKind.PATCH_TEST_WAIVER
    ]


def consents_to_sign_count(client_ids) -> dict[int, int]:
    """How many of the clinic's current consents each client has still to sign (a
    new version counts again; the patch test waiver is offered, not asked): two
    queries, whatever the number of clients. The day list shows it as "forms"."""
    client_ids = set(client_ids)
    current = [
        text
        for kind, text in consent_texts_current().items()
        if kind != ConsentKind.PATCH_TEST_WAIVER
    ]
    signed = set(
        Consent.objects.filter(
            client_id__in=client_ids,
            withdrawn_at__isnull=True,
            text__in=current,
        ).values_list("client_id", "text_id")
    )
    return {
        client_id: sum((client_id, text.pk) not in signed for text in current)
        for client_id in client_ids
    }


def treatment_consent_status(client: Client) -> ConsentStatus:
    """The client's treatment consent against the current text, in two queries."""
    text = (
        ConsentText.objects.filter(kind=ConsentKind.TREATMENT)
        .order_by("-version")
        .first()
    )
    signed = (
        client.consents.filter(
            withdrawn_at__isnull=True, text__kind=ConsentKind.TREATMENT
        )
        .select_related("text")
        .first()
    )
    return ConsentStatus(ConsentKind.TREATMENT, "Treatment", text, signed)


def consent_get_for_user(user, pk: int) -> Consent:
    if not can(user, Capability.CLINICAL):
        raise Http404("No such consent.")
    consent = get_object_or_404(Consent.objects.select_related("client", "text"), pk=pk)
    refuse_erased(user, consent.client, "No such consent.")
    return consent


def contraindication_get_for_user(user, pk: int) -> Contraindication:
    if not can(user, Capability.CLINICAL):
        raise Http404("No such record.")
    item = get_object_or_404(Contraindication.objects.select_related("client"), pk=pk)
    refuse_erased(user, item.client, "No such record.")
    return item


def patch_test_get_for_user(user, pk: int) -> PatchTest:
    if not can(user, Capability.CLINICAL):
        raise Http404("No such patch test.")
    test = get_object_or_404(PatchTest.objects.select_related("client"), pk=pk)
    refuse_erased(user, test.client, "No such patch test.")
    return test


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str
    title: str
    detail: str = ""
    url: str = ""
    # An appointment is shown at its location's time; other events at the clinic's.
    zone: str = ""


# The timeline gathers events from the apps above clients too (bookings, session
# records, photos, messages). Each registers a source in its AppConfig.ready():
# source(user, client) -> events the user may see.
TimelineSource = Callable[[object, Client], Iterable[TimelineEvent]]
_timeline_sources: list[TimelineSource] = []


def timeline_source_register(source: TimelineSource) -> TimelineSource:
    if source not in _timeline_sources:
        _timeline_sources.append(source)
    return source


def client_timeline(*, user, client: Client) -> list[TimelineEvent]:
    """What happened to a client, newest first, as much as the user's role may see:
    consents, suitability decisions, patch tests and contraindications for
    practitioners and managers, and what the registered sources add (bookings and
    messages for every booking role, treatment records for clinical roles)."""
    events = []
    for source in _timeline_sources:
        events += source(user, client)
    if can(user, Capability.CLINICAL):
        events += [
            TimelineEvent(
                c.signed_at,
                "Consent",
                f"Signed {c.text}",
                c.get_method_display(),
                reverse("consent_detail", args=[c.pk]),
            )
            for c in client.consents.select_related("text")
        ]
        events += [
            TimelineEvent(
                d.decided_at,
                "Suitability",
                d.decision_text,
                f"by {d.decided_by.get_full_name() or d.decided_by}"
                + (f": {d.override_reason}" if d.override_reason else ""),
            )
            for d in client.suitability_decisions.select_related("decided_by")
        ]
        events += [
            TimelineEvent(
                p.applied_at,
                "Patch test",
                f"{p.get_result_display()} (withdrawn)"
                if p.withdrawn_at
                else p.get_result_display(),
                f"Withdrawn: {p.withdrawal_reason}" if p.withdrawn_at else p.notes,
            )
            for p in client.patch_tests.all()
        ]
        events += [
            TimelineEvent(
                c.recorded_at,
                "Contraindication",
                str(c),
                "Resolved" if c.resolved_at else "Active",
            )
            for c in client.contraindications.all()
        ]
    return sorted(events, key=lambda event: event.at, reverse=True)
