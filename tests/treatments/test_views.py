"""The treatment pages as staff use them, and who may open which."""

import csv
import io
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from appointments import services as booking
from appointments.models import Appointment
from clients import services as clients_services
from clients.models import Client, Recommendation
from clients.services import consent_sign
from messaging.models import OutboundMessage
from tests.treatments.test_photos import jpeg_with_gps
from treatments import services
from treatments.models import TreatmentPlan

pytestmark = pytest.mark.usefixtures("frozen_now")

DAY = date(2026, 3, 3)


def local(day, hour, minute, zone):
    return datetime.combine(day, time(hour, minute), zone)


@pytest.fixture
def plan(make_plan):
    return make_plan()


@pytest.fixture
def held_session(plan, london, front_desk):
    services.course_book(
        plan=plan,
        starts={1: local(DAY, 9, 15, london.zone)},
        location=london,
        booked_by=front_desk,
    )
    session = plan.sessions.get(number=1)
    with time_machine.travel(local(DAY, 9, 15, london.zone), tick=False):
        booking.appointment_check_in(appointment=session.appointment, by=front_desk)
    return session


def course_post(starts):
    data = {}
    for number, at in starts.items():
        data[f"date_{number}"] = at.date().isoformat()
        data[f"time_{number}"] = at.strftime("%H:%M")
    return data


class TestCourseBookingPage:
    def test_the_front_desk_sees_a_proposal_and_books_the_whole_course(
        self, client, front_desk, plan, london
    ):
        client.force_login(front_desk)
        url = reverse("course_book", args=[plan.pk])
        page = client.get(url, {"location": london.pk, "first_day": "2026-03-03"})
        assert page.status_code == 200
        form = page.context["form"]
        assert form.initial["date_1"] == DAY
        assert form.initial["date_3"] == DAY + timedelta(days=20)
        starts = {
            n: local(DAY + timedelta(days=10 * (n - 1)), 9, 15, london.zone)
            for n in (1, 2, 3)
        }
        response = client.post(url, course_post(starts))
        assert response.status_code == 302
        assert Appointment.objects.filter(client=plan.client).count() == 3

    def test_a_refused_course_books_nothing_and_keeps_the_times_typed(
        self, client, front_desk, plan, london
    ):
        client.force_login(front_desk)
        starts = {
            1: local(DAY, 9, 15, london.zone),
            2: local(DAY + timedelta(days=3), 14, 0, london.zone),
            3: local(DAY + timedelta(days=20), 9, 15, london.zone),
        }
        response = client.post(
            reverse("course_book", args=[plan.pk]), course_post(starts)
        )
        assert response.status_code == 422
        assert b"Nothing was booked" in response.content
        assert b"Session 2 is 3 days after session 1: too soon" in response.content
        assert b'value="14:00"' in response.content
        assert not Appointment.objects.exists()

    def test_moving_a_session_warns_on_the_appointment_page(
        self, client, front_desk, plan, london
    ):
        starts = {
            n: local(DAY + timedelta(days=10 * (n - 1)), 9, 15, london.zone)
            for n in (1, 2, 3)
        }
        services.course_book(
            plan=plan, starts=starts, location=london, booked_by=front_desk
        )
        second = plan.sessions.get(number=2).appointment
        booking.appointment_reschedule(
            appointment=second, starts_at=starts[2] + timedelta(days=4), by=front_desk
        )
        client.force_login(front_desk)
        page = client.get(reverse("appointment_detail", args=[second.pk]))
        assert "Session 3 is 6 days after session 2: too soon" in page.content.decode()


class TestAccess:
    def test_the_front_desk_cannot_open_clinical_treatment_pages(
        self, client, front_desk, held_session, jo, lot
    ):
        client.force_login(front_desk)
        for url in (
            reverse("plan_new", args=[jo.pk]),
            reverse("plan_detail", args=[held_session.plan_id]),
            reverse("session_record", args=[held_session.pk]),
            reverse("photos", args=[jo.pk]),
            reverse("ink_passport", args=[jo.pk]),
            reverse("lot_recall", args=[lot.pk]),
        ):
            assert client.get(url).status_code in (403, 404), url

    def test_the_lot_recall_is_for_managers(self, client, practitioner, lot):
        client.force_login(practitioner)
        assert client.get(reverse("lot_recall", args=[lot.pk])).status_code == 403


class TestPlanPages:
    def test_a_plan_without_a_decision_is_refused_with_the_form_kept(
        self, client, practitioner, sam, smp_session
    ):
        undecided = Client.objects.create(first_name="Al", last_name="New")
        client.force_login(practitioner)
        response = client.post(
            reverse("plan_new", args=[undecided.pk]),
            {
                "variant": "temporary",
                "goal": "density",
                "practitioner": sam.pk,
                "service": smp_session.pk,
                "sessions_planned": 4,
                "gap_min_days": 10,
                "gap_max_days": 14,
                "design_notes": "soft front",
            },
        )
        assert response.status_code == 422
        assert b"none is recorded yet" in response.content
        assert b"soft front" in response.content
        assert not TreatmentPlan.objects.exists()

    def test_a_practitioner_creates_a_plan(
        self, client, practitioner, jo, sam, smp_session
    ):
        client.force_login(practitioner)
        response = client.post(
            reverse("plan_new", args=[jo.pk]),
            {
                "variant": "temporary",
                "goal": "density",
                "practitioner": sam.pk,
                "service": smp_session.pk,
                "sessions_planned": 4,
                "gap_min_days": 7,
                "gap_max_days": 21,
                "hairline_style": "soft",
                "recession": "mature",
            },
        )
        plan = TreatmentPlan.objects.get()
        assert response.url == reverse("plan_detail", args=[plan.pk])
        assert plan.sessions.count() == 4
        page = client.get(response.url)
        assert b"4 sessions, 7\xe2\x80\x9321 days apart" in page.content

    def test_new_plan_is_not_offered_for_a_not_suitable_client_and_says_why(
        self, client, practitioner, jo, sam, smp_session
    ):
        decide(jo, practitioner, Recommendation.NOT_SUITABLE)
        client.force_login(practitioner)
        page = client.get(reverse("client_detail", args=[jo.pk])).text
        assert reverse("plan_new", args=[jo.pk]) not in page
        assert "New plan is not available." in page
        assert "the latest is “Not suitable”." in page

        response = client.get(reverse("plan_new", args=[jo.pk]), follow=True)
        assert response.redirect_chain == [
            (reverse("client_detail", args=[jo.pk]), 302)
        ]
        assert "the latest is “Not suitable”." in response.text
        assert 'name="design_notes"' not in response.text

        decide(jo, practitioner, Recommendation.SUITABLE)
        page = client.get(reverse("client_detail", args=[jo.pk])).text
        assert reverse("plan_new", args=[jo.pk]) in page
        assert "New plan is not available." not in page
        assert client.get(reverse("plan_new", args=[jo.pk])).status_code == 200


def decide(person, by, decision):
    clients_services.suitability_decide(
        client=person,
        decision=decision,
        by=by,
        override_reason="Seen in person: the practitioner's call.",
    )


class TestSessionRecordPage:
    def test_an_expired_lot_is_not_a_choice_and_what_was_typed_stays(
        self, client, practitioner, held_session, expired_lot
    ):
        client.force_login(practitioner)
        response = client.post(
            reverse("session_record", args=[held_session.pk]),
            {
                "zone_crown": "dense",
                "lot_1": expired_lot.pk,
                "dilution_1": "30%",
                "needle": "3RL",
                "notes": "Client slept",
            },
        )
        assert response.status_code == 422
        assert b"Select a valid choice" in response.content
        assert b"OLD-1" not in response.content
        assert b"Client slept" in response.content
        assert b'data-zone="crown"' in response.content
        assert b"zone zone-dense" in response.content
        held_session.refresh_from_db()
        assert not held_session.is_recorded

    def test_a_future_session_offers_no_record_and_refuses_one_opened_by_url(
        self, client, practitioner, plan, london, front_desk, lot
    ):
        services.course_book(
            plan=plan,
            starts={1: local(DAY, 9, 15, london.zone)},
            location=london,
            booked_by=front_desk,
        )
        session = plan.sessions.get(number=1)
        record_url = reverse("session_record", args=[session.pk])
        client.force_login(practitioner)
        page = client.get(reverse("plan_detail", args=[plan.pk])).text
        assert record_url not in page
        why = "The appointment is on Tue 3 Mar at 09:15: a session is recorded once"
        assert why in page
        detail = reverse("appointment_detail", args=[session.appointment_id])
        assert record_url not in client.get(detail).text
        assert why in client.get(detail).text

        response = client.get(record_url, follow=True)
        assert response.redirect_chain == [
            (reverse("plan_detail", args=[plan.pk]), 302)
        ]
        assert why in response.text
        assert 'name="lot_1"' not in response.text
        # A post (a stale page) reaches the service, which refuses and keeps nothing.
        refused = client.post(record_url, {"zone_crown": "dense", "lot_1": lot.pk})
        assert refused.status_code == 422
        assert why in refused.text
        session.refresh_from_db()
        assert not session.is_recorded

        with time_machine.travel(local(DAY, 9, 15, london.zone), tick=False):
            booking.appointment_check_in(appointment=session.appointment, by=front_desk)
            client.force_login(practitioner)
            assert record_url in client.get(reverse("plan_detail", args=[plan.pk])).text
            assert client.get(record_url).status_code == 200

    def test_the_session_is_recorded(self, client, practitioner, held_session, lot):
        client.force_login(practitioner)
        response = client.post(
            reverse("session_record", args=[held_session.pk]),
            {
                "zone_frontal_hairline": "light",
                "zone_crown": "dense",
                "lot_1": lot.pk,
                "dilution_1": "30%",
                "needle": "1rl",
            },
        )
        assert response.status_code == 302
        held_session.refresh_from_db()
        assert held_session.zones == {"frontal_hairline": "light", "crown": "dense"}
        page = client.get(reverse("plan_detail", args=[held_session.plan_id]))
        assert b"Frontal hairline (light), Crown (dense)" in page.content


class TestPhotosAndPassport:
    def test_an_upload_is_cleaned_and_served_only_with_consent(
        self, client, practitioner, front_desk, jo, consent_texts
    ):
        consent = consent_sign(
            client=jo, text=consent_texts["photos"], typed_name="Jo", by=practitioner
        )
        client.force_login(practitioner)
        upload = SimpleUploadedFile("IMG_1.jpg", jpeg_with_gps(), "image/jpeg")
        response = client.post(
            reverse("photos", args=[jo.pk]),
            {"image": upload, "kind": "before", "view": "front"},
        )
        assert response.status_code == 302
        photo = jo.photos.get()
        served = client.get(reverse("photo_file", args=[photo.pk, "full"]))
        assert served["Content-Type"] == "image/jpeg"
        body = b"".join(served.streaming_content)
        with Image.open(io.BytesIO(body)) as image:
            assert dict(image.getexif()) == {}
        assert b"PhoneCo" not in body

        client.force_login(front_desk)
        url = reverse("photo_file", args=[photo.pk, "thumb"])
        assert client.get(url).status_code == 403
        client.force_login(practitioner)
        consent.withdrawn_at = consent.signed_at
        consent.save()
        assert client.get(url).status_code == 404

    def test_a_renamed_tiff_is_refused_with_a_message(
        self, client, practitioner, jo, consent_texts
    ):
        consent_sign(
            client=jo, text=consent_texts["photos"], typed_name="Jo", by=practitioner
        )
        tiff = io.BytesIO()
        Image.new("RGB", (10, 10)).save(tiff, "TIFF")
        client.force_login(practitioner)
        response = client.post(
            reverse("photos", args=[jo.pk]),
            {
                "image": SimpleUploadedFile("x.jpg", tiff.getvalue(), "image/jpeg"),
                "kind": "before",
                "view": "front",
            },
        )
        assert response.status_code == 422
        assert b"this is TIFF" in response.content
        assert not jo.photos.exists()

    def test_the_recall_csv_lists_the_client_and_defuses_formulas(
        self, client, manager, practitioner, held_session, lot, jo
    ):
        jo.last_name = "=HYPERLINK(1)"
        jo.save()
        services.session_record(
            session=held_session,
            zones={"crown": "light"},
            pigments=[(lot, "")],
            by=practitioner,
        )
        client.force_login(manager)
        page = client.get(reverse("lot_recall", args=[lot.pk]))
        assert b"1 session" in page.content
        response = client.get(reverse("lot_recall", args=[lot.pk]), {"format": "csv"})
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[1][0] == "Jo =HYPERLINK(1)"
        assert rows[1][3] == "1"
        jo.first_name = "@cmd"
        jo.save()
        response = client.get(reverse("lot_recall", args=[lot.pk]), {"format": "csv"})
        assert list(csv.reader(io.StringIO(response.content.decode())))[1][0] == (
            "'@cmd =HYPERLINK(1)"
        )

    def test_the_ink_passport_page_and_email(
        self, client, practitioner, held_session, lot, jo
    ):
        services.session_record(
            session=held_session,
            zones={"crown": "light"},
            pigments=[(lot, "40%")],
            by=practitioner,
        )
        client.force_login(practitioner)
        page = client.get(reverse("ink_passport", args=[jo.pk]))
        assert b"L26001A" in page.content
        assert b"Carbon black" in page.content
        client.post(reverse("ink_passport", args=[jo.pk]))
        assert OutboundMessage.objects.filter(client=jo, kind="ink_passport").exists()
