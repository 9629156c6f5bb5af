"""Gates before treatment (appointments.gates): an SMP session, scar camouflage or
touch-up is neither booked nor recorded, by any path, unless on its day the intake
is complete, a suitability decision allows it, the treatment consent is signed on the
current text, the client is 18 or over (date of birth recorded), a patch test covers
it where the service asks for one, and (before a plan's first session) the client
signed off the hairline design. A refusal names every missing item and links to the
page that fixes it. Consultations stay bookable."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError

from appointments import gates, services
from appointments.models import Appointment, WaitlistOffer
from clients import services as client_services
from clients.models import ConsentKind, Intake, SuitabilityDecision, TreatmentGates
from messaging import links
from pigments.models import Pigment, PigmentLot
from tests.conftest import NOW, make_treatment_ready
from treatments import services as treatment_services

pytestmark = pytest.mark.usefixtures("frozen_now", "rooms")

# Tuesday 3 March 2026, 13:30 in London (GMT); the clock is Monday 07:00.
SESSION_AT = datetime(2026, 3, 3, 13, 30, tzinfo=UTC)
HOSTILE = '<b hx-get="/x" hx-trigger=load>"{{x}}\'</b>'


def _no_intake(client, **_):
    Intake.objects.filter(client=client).update(fitzpatrick=None)


def _no_decision(client, **_):
    SuitabilityDecision.objects.filter(client=client).delete()


def _decision_against(client, **_):
    # A newer decision than the one that allowed the plan: needs a doctor's word.
    latest = SuitabilityDecision.objects.filter(client=client).first()
    SuitabilityDecision.objects.create(
        client=client,
        recommended=latest.recommended,
        decision="clearance",
        override_reason="Mentioned blood thinners at the door.",
        decided_by=latest.decided_by,
        decided_at=latest.decided_at + timedelta(seconds=1),
    )


def _old_consent(client, **_):
    client_services.consent_text_publish(
        kind=ConsentKind.TREATMENT, title="Treatment consent", body="Version two."
    )


def _no_birth_date(client, **_):
    client.date_of_birth = None
    client.save(update_fields=["date_of_birth"])


def _under_18(client, **_):
    # 18 on the day after the session.
    client.date_of_birth = date(2008, 3, 4)
    client.save(update_fields=["date_of_birth"])


def _patch_test(client, service, **_):
    service.needs_patch_test = True
    service.save(update_fields=["needs_patch_test"])


# (id, take it away, the gate, words of the refusal, the page that fixes it)
MISSING = [
    ("intake", _no_intake, "intake", "intake is not complete (skin type)", "intake"),
    ("decision", _decision_against, "suitability", "the suitability decision is "
     "“Needs a doctor's clearance”", "suitability"),
    ("consent", _old_consent, "consent", "signed on version 1, not the current "
     "version 2", "consents/treatment/sign"),
    ("birth date", _no_birth_date, "age", "date of birth is not recorded", "edit"),
    ("under 18", _under_18, "age", "under 18 on 3 Mar 2026", "edit"),
    ("patch test", _patch_test, "patch_test", "no passed or waived patch test",
     "patch-tests/new"),
]  # fmt: skip
IDS = [row[0] for row in MISSING]
PARAMS = [row[1:] for row in MISSING]


@pytest.fixture
def ready(jo, practitioner):
    return make_treatment_ready(jo, by=practitioner)


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
    yield
    cache.clear()


def book(client, service, practitioner, by=None, starts_at=SESSION_AT):
    return services.appointment_book(
        client=client,
        service=service,
        practitioner=practitioner,
        starts_at=starts_at,
        booked_by=by,
    )


def fix_path(client, page: str) -> str:
    return f"/clients/{client.pk}/{page}/"


def test_the_gates_are_registered_by_the_apps_in_order():
    assert gates.registered() == [
        "intake",
        "suitability",
        "consent",
        "age",
        "patch_test",
        "hairline",
    ]


def test_a_ready_client_is_booked(ready, smp_session, sam, front_desk):
    assert book(ready, smp_session, sam, front_desk).pk


def test_a_refusal_names_every_missing_item_with_the_page_that_fixes_it(
    jo, smp_session, sam, front_desk
):
    smp_session.needs_patch_test = True
    smp_session.save()
    with pytest.raises(services.TreatmentRefused) as refused:
        book(jo, smp_session, sam, front_desk)
    missing = refused.value.missing
    assert [m.gate for m in missing] == [
        "intake",
        "suitability",
        "consent",
        "age",
        "patch_test",
    ]
    assert [m.fix_url for m in missing] == [
        fix_path(jo, "intake"),
        fix_path(jo, "suitability"),
        "/clients/consent-texts/",
        fix_path(jo, "edit"),
        fix_path(jo, "patch-tests/new"),
    ]
    message = refused.value.message
    assert message.startswith("Jo Bloggs cannot have SMP session yet:")
    assert "intake is not complete (not started)" in message
    assert "no treatment consent text is published" in message
    assert not Appointment.objects.exists()


def test_consultations_stay_bookable_with_nothing_on_record(
    jo, consultation, sam, front_desk
):
    assert book(jo, consultation, sam, front_desk).pk


@pytest.mark.parametrize(("take_away", "gate", "words", "page"), PARAMS, ids=IDS)
def test_front_desk_booking_is_refused_and_links_the_fix(
    client, ready, smp_session, sam, london, front_desk, take_away, gate, words, page
):
    take_away(ready, service=smp_session)
    client.force_login(front_desk)
    response = client.post(
        "/appointments/new/",
        {
            "client": ready.pk,
            "service": smp_session.pk,
            "practitioner": sam.pk,
            "location": london.pk,
            "date": "2026-03-03",
            "time": "13:30",
            "notes": "",
        },
    )
    assert response.status_code == 200
    page_text = response.text
    assert "Not booked:" in page_text
    assert words in page_text.replace("&#x27;", "'")
    assert f'href="{fix_path(ready, page)}"' in page_text
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(("take_away", "gate", "words", "page"), PARAMS, ids=IDS)
def test_the_api_answers_422_with_the_missing_list(
    client, ready, smp_session, sam, front_desk, take_away, gate, words, page
):
    take_away(ready, service=smp_session)
    client.force_login(front_desk)
    response = client.post(
        "/api/appointments",
        {
            "client": ready.pk,
            "service": smp_session.pk,
            "practitioner": sam.pk,
            "start": SESSION_AT.isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "refused"
    assert words in body["message"]
    assert [m["gate"] for m in body["missing"]] == [gate]
    assert body["missing"][0]["fix_url"] == fix_path(ready, page)


@pytest.mark.parametrize(("take_away", "gate", "words", "page"), PARAMS, ids=IDS)
def test_moving_a_treatment_asks_the_gates_again(
    ready, smp_session, sam, front_desk, take_away, gate, words, page
):
    appointment = book(ready, smp_session, sam, front_desk, NOW + timedelta(hours=7))
    take_away(ready, service=smp_session)
    with pytest.raises(services.TreatmentRefused, match=re.escape(words)):
        services.appointment_reschedule(
            appointment=appointment, starts_at=SESSION_AT, by=front_desk
        )


def on_the_waitlist(client, service):
    """The client, emailable and consenting, waits for the session's day."""
    client.email, client.reminder_consent = "jo@x.test", True
    client.save()
    return services.waitlist_entry_add(
        client=client,
        service=service,
        practitioner=None,
        location=None,
        earliest_on=SESSION_AT.date(),
        latest_on=SESSION_AT.date(),
        notes="",
        by=None,
    )


@pytest.mark.parametrize(("take_away", "gate", "words", "page"), PARAMS, ids=IDS)
def test_a_waitlist_offer_is_not_made_to_a_client_not_ready(
    ready, make_client, smp_session, sam, front_desk, passed_patch_test, take_away,
    gate, words, page,
):  # fmt: skip
    entry = on_the_waitlist(ready, smp_session)
    other = make_treatment_ready(make_client(), by=front_desk)
    take_away(ready, service=smp_session)
    # What was taken from Jo the other client still has (a new consent text: they
    # sign it; the service now asks for a patch test: they have one).
    make_treatment_ready(other, by=front_desk)
    if gate == "patch_test":
        passed_patch_test(other)
    booked = book(other, smp_session, sam, front_desk)
    services.appointment_cancel(appointment=booked, reason="Ill", by=front_desk)
    assert not WaitlistOffer.objects.filter(entry=entry).exists()


@pytest.mark.parametrize(("take_away", "gate", "words", "page"), PARAMS, ids=IDS)
def test_accepting_a_waitlist_offer_asks_the_gates_again(
    client, ready, make_client, smp_session, sam, front_desk, take_away, gate, words,
    page,
):  # fmt: skip
    entry = on_the_waitlist(ready, smp_session)
    other = make_treatment_ready(make_client(), by=front_desk)
    booked = book(other, smp_session, sam, front_desk)
    services.appointment_cancel(appointment=booked, reason="Ill", by=front_desk)
    offer = WaitlistOffer.objects.get(entry=entry)
    take_away(ready, service=smp_session)
    response = client.post(f"/m/waitlist/{links.waitlist_token(offer)}/")
    assert words in response.text.replace("&#x27;", "'")
    assert not Appointment.objects.filter(client=ready).exists()
    offer.refresh_from_db()
    assert offer.status == WaitlistOffer.Status.WITHDRAWN


def test_online_booking_books_a_consultation_for_a_client_with_nothing_on_record(
    consultation, smp_session, sam, london
):
    # Online booking offers only consultations (selectors.online_services): a new
    # client has no intake, consent or date of birth, and the gate lets a
    # consultation through.
    appointment = services.online_booking_book(
        location=london,
        service=consultation,
        practitioner=sam,
        starts_at=SESSION_AT,
        first_name="New",
        last_name="Client",
        email="new@x.test",
        phone="",
        reminder_consent=True,
    )
    assert appointment.service == consultation
    assert appointment.client.date_of_birth is None


@pytest.fixture
def lot(db):
    pigment = Pigment.objects.create(brand="Perma Blend", shade="SMP Dark")
    return PigmentLot.objects.create(
        pigment=pigment, lot_number="L1", expires_on=date(2030, 1, 1)
    )


@pytest.fixture
def passed_patch_test(lot, practitioner):
    def make(client):
        test = client_services.patch_test_apply(
            client=client,
            lots=[lot],
            applied_at=NOW - timedelta(days=5),
            notes="",
            by=practitioner,
        )
        return client_services.patch_test_read(
            patch_test=test,
            result="passed",
            read_at=NOW - timedelta(days=3),
            notes="",
            by=practitioner,
        )

    return make


def make_plan(client, sam, service, practitioner, *, signed_off=True, goal="full_head"):
    plan = treatment_services.plan_create(
        client=client,
        practitioner=sam,
        service=service,
        variant="permanent",
        goal=goal,
        created_by=practitioner,
        hairline_style="soft",
        recession="mature",
        surgery_on=date(2025, 1, 1) if goal == "scar" else None,
    )
    if signed_off:
        plan = treatment_services.plan_design_sign_off(
            plan=plan, typed_name=client.full_name
        )
    return plan


@pytest.mark.parametrize(("take_away", "gate", "words", "page"), PARAMS, ids=IDS)
def test_course_booking_is_refused_and_books_nothing(
    ready, smp_session, sam, london, practitioner, front_desk, take_away, gate, words,
    page,
):  # fmt: skip
    plan = make_plan(ready, sam, smp_session, practitioner)
    take_away(ready, service=smp_session)
    with pytest.raises(treatment_services.CourseError) as refused:
        treatment_services.course_book(
            plan=plan,
            starts={1: SESSION_AT},
            location=london,
            booked_by=front_desk,
        )
    assert words in str(refused.value)
    assert [m.gate for m in refused.value.missing] == [gate]
    assert not Appointment.objects.exists()


def test_a_plan_whose_design_is_not_signed_off_cannot_book_its_first_session(
    client, ready, smp_session, sam, london, practitioner, front_desk
):
    plan = make_plan(ready, sam, smp_session, practitioner, signed_off=False)
    with pytest.raises(treatment_services.CourseError) as refused:
        treatment_services.course_book(
            plan=plan, starts={1: SESSION_AT}, location=london, booked_by=front_desk
        )
    assert [m.gate for m in refused.value.missing] == ["hairline"]
    assert refused.value.missing[0].fix_url == f"/plans/{plan.pk}/"
    with pytest.raises(services.TreatmentRefused, match="hairline design"):
        book(ready, smp_session, sam, front_desk)
    client.force_login(front_desk)
    page = client.post(
        f"/plans/{plan.pk}/book/?location={london.pk}&first_day=2026-03-03",
        {
            "date_1": "2026-03-03",
            "time_1": "13:30",
            "date_2": "2026-03-15",
            "time_2": "13:30",
            "date_3": "2026-03-27",
            "time_3": "13:30",
        },
    ).text
    alert = page[page.index("Nothing was booked") :]
    assert "has not signed off the hairline design" in alert
    assert f'href="/plans/{plan.pk}/"' in alert
    treatment_services.plan_design_sign_off(plan=plan, typed_name="Jo Bloggs")
    assert treatment_services.course_book(
        plan=plan, starts={1: SESSION_AT}, location=london, booked_by=front_desk
    )


def test_scar_camouflage_has_no_hairline_to_sign(
    ready, smp_session, sam, london, practitioner, front_desk
):
    plan = make_plan(
        ready, sam, smp_session, practitioner, signed_off=False, goal="scar"
    )
    assert treatment_services.course_book(
        plan=plan, starts={1: SESSION_AT}, location=london, booked_by=front_desk
    )


def _checked_in_session(
    ready, smp_session, sam, london, practitioner, front_desk, clock
):
    """Session 1 booked for SESSION_AT; the clock moved to that afternoon and the
    client checked in."""
    plan = make_plan(ready, sam, smp_session, practitioner)
    treatment_services.course_book(
        plan=plan, starts={1: SESSION_AT}, location=london, booked_by=front_desk
    )
    clock.move_to(SESSION_AT - timedelta(minutes=10))
    session = plan.sessions.get(number=1)
    services.appointment_check_in(appointment=session.appointment, by=front_desk)
    return session


@pytest.mark.parametrize(("take_away", "gate", "words", "page"), PARAMS, ids=IDS)
def test_a_session_is_not_recorded_when_a_gate_closed_since_booking(
    ready, smp_session, sam, london, practitioner, front_desk, lot, passed_patch_test,
    frozen_now, take_away, gate, words, page,
):  # fmt: skip
    passed_patch_test(ready)
    session = _checked_in_session(
        ready, smp_session, sam, london, practitioner, front_desk, frozen_now
    )
    take_away(ready, service=smp_session)
    refusal = services.TreatmentRefused
    if gate == "patch_test":
        # At the record the patch test is checked per pigment used (a finer rule
        # than the booking's), and the refusal names the untested pigment.
        ready.patch_tests.all().delete()
        refusal, words = ValidationError, "Perma Blend SMP Dark"
    with pytest.raises(refusal, match=re.escape(words)):
        treatment_services.session_record(
            session=session,
            zones={"crown": "light"},
            pigments=[(lot, "")],
            by=practitioner,
        )
    session.refresh_from_db()
    assert not session.is_recorded


def test_the_session_record_page_shows_the_refusal_with_links(
    client, ready, smp_session, sam, london, practitioner, front_desk, lot, frozen_now
):
    session = _checked_in_session(
        ready, smp_session, sam, london, practitioner, front_desk, frozen_now
    )
    _decision_against(ready)
    client.force_login(practitioner)
    page = client.post(
        f"/sessions/{session.pk}/record/",
        {"zone_crown": "light", "lot_1": lot.pk, "dilution_1": ""},
    ).text
    assert "Needs a doctor" in page
    assert f'href="{fix_path(ready, "suitability")}"' in page
    session.refresh_from_db()
    assert not session.is_recorded


@pytest.mark.parametrize(
    "field", ["intake", "suitability", "consent", "age", "hairline"]
)
def test_a_gate_the_clinic_turned_off_is_not_asked(
    jo, smp_session, sam, practitioner, front_desk, field
):
    make_treatment_ready(jo, by=practitioner)
    make_plan(jo, sam, smp_session, practitioner, signed_off=False)
    take = {
        "intake": _no_intake,
        "suitability": _decision_against,
        "consent": _old_consent,
        "age": _under_18,
        "hairline": lambda client, **_: None,
    }[field]
    take(jo)
    with pytest.raises(services.TreatmentRefused):
        book(jo, smp_session, sam, front_desk)
    TreatmentGates.objects.create(pk=1, **{field: False})
    if field != "hairline":
        # The plan's design still needs signing: that gate is on.
        TreatmentGates.objects.filter(pk=1).update(hairline=False)
    assert book(jo, smp_session, sam, front_desk).pk


def test_a_hostile_name_in_a_refusal_is_escaped(
    client, jo, smp_session, sam, london, front_desk
):
    jo.first_name = HOSTILE
    jo.save()
    client.force_login(front_desk)
    page = client.post(
        "/appointments/new/",
        {
            "client": jo.pk,
            "service": smp_session.pk,
            "practitioner": sam.pk,
            "location": london.pk,
            "date": "2026-03-03",
            "time": "13:30",
            "notes": "",
        },
    ).text
    assert "cannot have SMP session yet" in page
    assert "<b hx-get" not in page
    assert not mail.outbox


def test_no_suitability_decision_at_all_refuses_a_treatment(
    ready, smp_session, sam, front_desk
):
    _no_decision(ready)
    with pytest.raises(services.TreatmentRefused) as refused:
        book(ready, smp_session, sam, front_desk)
    assert [m.gate for m in refused.value.missing] == ["suitability"]
    assert "no suitability decision is recorded" in refused.value.message
