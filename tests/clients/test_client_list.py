"""Issue 20 item 6: the client list sorts by name, last visit and next appointment,
and shows each client's stage, in as many queries for 15 clients as for 3."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments import services as booking
from appointments.models import Appointment
from clients import selectors, services
from clients.lifecycle import ClientStage, client_stage
from clients.models import Client, Intake, SuitabilityDecision
from treatments.models import TreatmentPlan

pytestmark = pytest.mark.usefixtures("rooms")

BOOKED_ON = datetime(2026, 3, 1, 7, tzinfo=UTC)
TODAY = datetime(2026, 3, 10, 7, tzinfo=UTC)
COMPLETE_INTAKE = {
    "hair_loss_cause": "androgenetic",
    "scale": "norwood",
    "stage": "IV",
    "fitzpatrick": 3,
    "pigment_reaction": False,
}


@pytest.mark.parametrize(
    ("facts", "stage"),
    [
        ({}, ClientStage.NEW),
        ({"intake_complete": True}, ClientStage.INTAKE_DONE),
        ({"intake_complete": True, "treatment_allowed": True}, ClientStage.SUITABLE),
        ({"treatment_allowed": True, "course_active": True}, ClientStage.IN_COURSE),
        ({"course_completed": True}, ClientStage.MAINTENANCE),
        ({"course_completed": True, "course_active": True}, ClientStage.IN_COURSE),
    ],
)
def test_the_stage_is_the_furthest_step_reached(facts, stage):
    given = {
        "intake_complete": False,
        "treatment_allowed": False,
        "course_active": False,
        "course_completed": False,
        **facts,
    }
    assert client_stage(**given) == stage


def rows(page: str) -> list[str]:
    """The names in the list, in order."""
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return [part.split("</a>")[0].split(">")[-1] for part in body.split("<tr>")[1:]]


def plan(client, sam, service, status):
    decision = SuitabilityDecision.objects.filter(client=client).first()
    decision = decision or SuitabilityDecision.objects.create(
        client=client,
        recommended="suitable",
        decision="suitable",
        decided_by=sam.user,
        decided_at=BOOKED_ON,
    )
    return TreatmentPlan.objects.create(
        client=client,
        practitioner=sam,
        service=service,
        variant="permanent",
        goal="full_head",
        status=status,
        suitability=decision,
        created_by=sam.user,
    )


@pytest.fixture
def people(db, sam, practitioner, front_desk, consultation, smp_session):
    """Five clients, one at each stage; Cara came on 2 March, Abe on 3 March, Eve
    is booked for 12 March and Dan for 11 March."""
    names = ["Abe New", "Ben Intake", "Cara Suitable", "Dan Course", "Eve Kept"]
    made = {}
    for name in names:
        first, last = name.split()
        made[first] = Client.objects.create(first_name=first, last_name=last)
    for first in ("Ben", "Cara", "Dan", "Eve"):
        services.intake_save(
            client=made[first], fields=COMPLETE_INTAKE, by=practitioner
        )
    for first in ("Cara", "Dan", "Eve"):
        services.suitability_decide(
            client=made[first], decision="suitable", by=practitioner
        )
    plan(made["Dan"], sam, smp_session, "active")
    plan(made["Eve"], sam, smp_session, "completed")

    def book(first, when):
        return booking.appointment_book(
            client=made[first],
            service=consultation,
            practitioner=sam,
            starts_at=when,
            booked_by=front_desk,
        )

    with time_machine.travel(BOOKED_ON, tick=False):
        came = [
            book("Cara", datetime(2026, 3, 2, 10, tzinfo=UTC)),
            book("Abe", datetime(2026, 3, 3, 10, tzinfo=UTC)),
            # Cancelled: not a visit.
            book("Ben", datetime(2026, 3, 4, 10, tzinfo=UTC)),
        ]
        book("Eve", datetime(2026, 3, 12, 10, tzinfo=UTC))
        book("Dan", datetime(2026, 3, 11, 14, tzinfo=UTC))
    Appointment.objects.filter(pk__in=[came[0].pk, came[1].pk]).update(
        status="completed"
    )
    Appointment.objects.filter(pk=came[2].pk).update(
        status="cancelled", cancellation_reason="Client asked"
    )
    return made


@pytest.fixture
def at_today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.mark.usefixtures("at_today")
class TestClientList:
    def test_each_client_shows_their_stage(self, client, front_desk, people):
        client.force_login(front_desk)
        page = client.get("/clients/", {"sort": "name"}).text
        body = page[page.index("<tbody>") :]
        for first, label in [
            ("Abe", "New"),
            ("Ben", "Intake done"),
            ("Cara", "Suitable"),
            ("Dan", "In course"),
            ("Eve", "Maintenance"),
        ]:
            row = body[body.index(f">{first} ") :].split("</tr>")[0]
            assert f">{label}</span>" in row, first

    def test_it_sorts_by_name_last_visit_and_next_appointment(
        self, client, front_desk, people
    ):
        client.force_login(front_desk)
        by = {
            sort: rows(client.get("/clients/", {"sort": sort}).text)
            for sort in ("name", "last_visit", "next_appointment")
        }
        # By last name, as a paper file is kept.
        assert by["name"] == [
            "Dan Course",
            "Ben Intake",
            "Eve Kept",
            "Abe New",
            "Cara Suitable",
        ]
        # Latest visit first; never visited last (a cancellation is no visit).
        assert by["last_visit"][:2] == ["Abe New", "Cara Suitable"]
        assert set(by["last_visit"][2:]) == {"Ben Intake", "Dan Course", "Eve Kept"}
        # Soonest first; nothing booked last.
        assert by["next_appointment"][:2] == ["Dan Course", "Eve Kept"]

    def test_the_dates_are_shown_and_the_sort_is_marked(
        self, client, front_desk, people
    ):
        client.force_login(front_desk)
        page = client.get("/clients/", {"sort": "next_appointment"}).text
        assert 'aria-sort="ascending"' in page
        assert "Wed 11 Mar 2026 14:00" in page
        assert "2 Mar 2026" in page
        assert 'href="?sort=last_visit"' in page

    def test_a_search_keeps_the_sort_and_an_unknown_sort_is_ignored(
        self, client, front_desk, people
    ):
        client.force_login(front_desk)
        page = client.get("/clients/", {"q": "e", "sort": "last_visit"}).text
        assert 'name="sort" id="client-sort" value="last_visit"' in page
        assert client.get("/clients/", {"sort": "pk; drop"}).status_code == 200

    def test_as_many_queries_for_15_clients_as_for_3(
        self, client, front_desk, make_client, sam, smp_session, consultation
    ):
        client.force_login(front_desk)
        client.get("/clients/")  # the signed-in user, cached from now

        numbers = iter(range(100))

        def add(count: int) -> None:
            for _ in range(count):
                n = next(numbers)
                person = make_client()
                plan(person, sam, smp_session, ("active", "completed")[n % 2])
                with time_machine.travel(BOOKED_ON, tick=False):
                    booking.appointment_book(
                        client=person,
                        service=consultation,
                        practitioner=sam,
                        starts_at=datetime(2026, 3, 11, 9, tzinfo=UTC)
                        + timedelta(days=n // 4, minutes=30 * (n % 4)),
                        booked_by=front_desk,
                    )

        def queries() -> int:
            counts = set()
            for sort in ("", "name", "last_visit", "next_appointment"):
                with CaptureQueriesContext(connection) as captured:
                    response = client.get("/clients/", {"sort": sort})
                assert response.status_code == 200
                counts.add(len(captured))
            return max(counts)

        add(3)
        few = queries()
        add(12)
        assert queries() == few

    def test_the_latest_decision_and_visit_count_whatever_came_before(
        self, client, front_desk, practitioner, people, sam, consultation
    ):
        """Each client's facts are read over the page's clients: the latest decision
        stands (a later "not suitable" takes Cara back to her intake), and the later
        of two visits is the last."""
        client.force_login(front_desk)
        services.suitability_decide(
            client=people["Cara"],
            decision="not_suitable",
            override_reason="Active psoriasis seen today",
            by=practitioner,
        )
        # Entered after, dated before: not the latest (a deferral already over, which
        # read as the latest would make Cara suitable again).
        SuitabilityDecision.objects.create(
            client=people["Cara"],
            recommended="defer",
            decision="defer",
            defer_until=BOOKED_ON.date(),
            decided_by=sam.user,
            decided_at=TODAY - timedelta(days=5),
        )
        with time_machine.travel(BOOKED_ON, tick=False):
            again = booking.appointment_book(
                client=people["Cara"],
                service=consultation,
                practitioner=sam,
                starts_at=datetime(2026, 3, 5, 15, tzinfo=UTC),
                booked_by=front_desk,
            )
        Appointment.objects.filter(pk=again.pk).update(status="completed")

        page = client.get("/clients/", {"sort": "last_visit"}).text
        assert rows(page)[:2] == ["Cara Suitable", "Abe New"]
        body = page[page.index("<tbody>") :]
        row = body[body.index(">Cara ") :].split("</tr>")[0]
        assert ">Intake done</span>" in row
        assert "5 Mar 2026" in row and "2 Mar 2026" not in row


@pytest.mark.parametrize(
    "intake",
    [
        None,
        COMPLETE_INTAKE,
        {**COMPLETE_INTAKE, "hair_loss_cause": ""},
        {**COMPLETE_INTAKE, "stage": ""},
        {**COMPLETE_INTAKE, "scale": "", "stage": ""},
        {**COMPLETE_INTAKE, "fitzpatrick": None},
        {**COMPLETE_INTAKE, "pigment_reaction": None},
        {**COMPLETE_INTAKE, "pigment_reaction": True},
        {**COMPLETE_INTAKE, "hair_loss_cause": "chemotherapy"},
        {
            **COMPLETE_INTAKE,
            "hair_loss_cause": "chemotherapy",
            "chemotherapy_ended_on": date(2025, 6, 1),
        },
    ],
    ids=[
        "not started",
        "complete",
        "no cause",
        "no stage",
        "no classification",
        "no skin type",
        "health unanswered",
        "a past reaction",
        "chemotherapy not ended",
        "chemotherapy ended",
    ],
)
def test_the_lists_intake_rule_is_the_intake_pages(db, make_client, intake):
    """The list reads completeness in hand-written SQL (core.sql): it says what the
    intake page and the treatment gates say, for every way an intake can fall short."""
    person = make_client()
    if intake is not None:
        Intake.objects.create(client=person, **intake)
    [listed] = list(Client.objects.filter(pk=person.pk))
    selectors.client_list_facts([listed])

    expected = selectors.intake_missing_sections(selectors.intake_for(person)) == []
    gated = (
        Client.objects.filter(pk=person.pk)
        .annotate(complete=selectors._intake_complete())
        .get()
        .complete
    )
    assert listed.intake_complete is expected is gated


def test_the_lists_facts_come_back_as_the_orm_gives_them(db, make_client, sam):
    """Dates as dates and moments as aware datetimes on both databases (SQLite hands
    back text); the latest decision is the latest entered of two at one moment."""
    person = make_client()
    for decision, defer_until in [("suitable", None), ("defer", date(2026, 4, 1))]:
        SuitabilityDecision.objects.create(
            client=person,
            recommended=decision,
            decision=decision,
            defer_until=defer_until,
            decided_by=sam.user,
            decided_at=BOOKED_ON,
        )
    [listed] = list(Client.objects.filter(pk=person.pk))
    selectors.client_list_facts([listed])

    latest = selectors.suitability_latest(person)
    assert (listed.latest_decision, listed.latest_defer_until) == (
        "defer",
        date(2026, 4, 1),
    )
    assert (latest.decision, latest.defer_until) == ("defer", date(2026, 4, 1))
    assert listed.intake_complete is False
    assert selectors.client_list_stage(listed, date(2026, 3, 31)) == ClientStage.NEW
