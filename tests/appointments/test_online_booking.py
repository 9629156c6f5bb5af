"""Online consultation booking: a new client, no login, in plain steps that work
without JavaScript (clinic, consultation, day, time, details); the same booking
service as the front desk (and its guarantees), a confirmation email, and no help
for spam."""

from datetime import UTC, date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from appointments import selectors, services
from appointments.models import Appointment, Closure, Location, Room, Service
from clients.models import Client
from messaging.models import MessageKind, OutboundMessage
from messaging.outbox import messages_send_due
from tests.online_booking import first_time_url, time_links

pytestmark = pytest.mark.usefixtures("frozen_now")

DETAILS = {
    "first_name": "Priya",
    "last_name": "Shah",
    "email": "Priya.Shah@example.com",
    "phone": "07700 900456",
    "notes": "Thinning at the crown.",
    "reminder_consent": "on",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def video(db):
    return Service.objects.create(
        name="Video consultation",
        kind=Service.Kind.CONSULTATION,
        meeting=Service.Meeting.VIDEO,
        duration_minutes=20,
        needs_room=False,
    )


@pytest.fixture
def phone_call(db):
    return Service.objects.create(
        name="Phone consultation",
        kind=Service.Kind.CONSULTATION,
        meeting=Service.Meeting.PHONE,
        duration_minutes=15,
        needs_room=False,
    )


def at_of(url: str) -> datetime:
    value = parse_qs(urlsplit(url).query)["at"][0]
    return datetime.strptime(value, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)


def book(client, location, service, **details):
    return client.post(
        first_time_url(client, location, service), {**DETAILS, **details}
    )


def test_a_new_client_books_step_by_step_and_the_front_desk_sees_them(
    client, london, sam, consultation, smp_session, front_desk
):
    clinics = client.get("/book/").text
    assert f'href="/book/{london.pk}/"' in clinics
    offered = client.get(f"/book/{london.pk}/").text
    assert f'href="/book/{london.pk}/{consultation.pk}/"' in offered
    # A treatment needs an intake, consent and a patch test first: not offered.
    assert smp_session.name not in offered
    times = client.get(f"/book/{london.pk}/{consultation.pk}/").text
    details_url = time_links(times)[0]
    details = client.get(details_url).text
    assert "Your details" in details and "Monday 2 March, 09:00" in details

    response = client.post(details_url, DETAILS)

    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.source == "online" and appointment.booked_by is None
    assert (appointment.practitioner, appointment.service) == (sam, consultation)
    assert appointment.starts_at == at_of(details_url)
    new = appointment.client
    assert (new.first_name, new.email, new.phone) == (
        "Priya",
        "priya.shah@example.com",
        "+447700900456",
    )
    assert new.reminder_consent
    assert OutboundMessage.objects.filter(
        appointment=appointment, kind=MessageKind.CONFIRMATION, status="pending"
    ).exists()
    done = client.get(response["Location"]).text
    assert "is booked for" in done and london.name in done and "Sam" in done

    client.force_login(front_desk)
    dashboard = client.get("/").text
    assert "Booked online: intake to do" in dashboard
    assert "Priya Shah" in dashboard


def test_the_strip_shows_which_days_have_times_and_a_day_shows_its_times(
    client, london, sam, consultation
):
    Closure.objects.create(location=london, date=date(2026, 3, 4), name="Training")
    url = f"/book/{london.pk}/{consultation.pk}/"

    page = client.get(url).text

    assert '4<span class="visually-hidden"> March, no times' in page
    assert '5<span class="visually-hidden"> March, times free' in page
    assert page.count('class="day-name"') == 14
    # The first day with times is shown: Monday 2 March, 09:00 to 16:30 each half
    # hour on the 15-minute grid (a 30-minute consultation, lunch 12-13).
    assert "Monday 2 March" in page
    assert len(time_links(page)) == 11 + 15
    thursday = client.get(url, {"day": "2026-03-05"}).text
    assert "Thursday 5 March" in thursday
    assert all(at_of(link).day == 5 for link in time_links(thursday))
    closed = client.get(url, {"day": "2026-03-04"}).text
    assert "No free times that day" in closed and not time_links(closed)


def test_the_strip_moves_by_a_fortnight_and_never_into_the_past(
    client, london, sam, consultation
):
    url = f"/book/{london.pk}/{consultation.pk}/"
    page = client.get(url).text
    assert "← Earlier" not in page

    later = client.get(url, {"from": "2026-03-16"}).text

    assert "Monday 16 March" in later and "← Earlier" in later
    past = client.get(url, {"from": "2026-01-01", "day": "nonsense"}).text
    assert "Monday 2 March" in past and "← Earlier" not in past


def test_htmx_gets_the_strip_and_times_alone(client, london, sam, consultation):
    page = client.get(
        f"/book/{london.pk}/{consultation.pk}/",
        {"day": "2026-03-03"},
        headers={"HX-Request": "true"},
    ).text

    assert page.startswith('<div id="booking-times">')
    assert "<html" not in page and "Tuesday 3 March" in page


def test_any_practitioner_offers_a_time_once(client, london, sam, alex, consultation):
    page = client.get(f"/book/{london.pk}/{consultation.pk}/").text

    starts = [at_of(link) for link in time_links(page)]

    assert len(starts) == len(set(starts)) == 26
    assert "Any practitioner" in page


def test_a_chosen_practitioner_shows_their_times_and_gets_the_booking(
    client, london, sam, alex, jo, consultation, front_desk
):
    # Alex is busier, so "any practitioner" would give the time to Sam.
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    services.appointment_book(
        client=jo,
        service=consultation,
        practitioner=alex,
        starts_at=datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
        booked_by=front_desk,
    )
    page = client.get(
        f"/book/{london.pk}/{consultation.pk}/", {"practitioner": alex.pk}
    ).text
    assert f'<option value="{alex.pk}" selected>' in page
    links = time_links(page)
    assert all(f"practitioner={alex.pk}" in link for link in links)
    assert datetime(2026, 3, 2, 15, 0, tzinfo=UTC) not in map(at_of, links)

    response = client.post(links[0], DETAILS)

    assert response.status_code == 302
    booked = Appointment.objects.get(client__first_name="Priya")
    assert (booked.practitioner, booked.starts_at) == (alex, start)


def test_any_practitioner_goes_to_the_least_booked_that_day(
    london, sam, alex, make_client, consultation, front_desk
):
    def hold(practitioner, hour):
        services.appointment_book(
            client=make_client(),
            service=consultation,
            practitioner=practitioner,
            starts_at=datetime(2026, 3, 2, hour, 0, tzinfo=UTC),
            booked_by=front_desk,
        )

    def book_any(hour, name):
        return services.online_booking_book(
            location=london,
            service=consultation,
            starts_at=datetime(2026, 3, 2, hour, 0, tzinfo=UTC),
            practitioner=None,
            first_name=name,
            last_name="Visitor",
            email=f"{name}@example.com",
            phone="",
            reminder_consent=True,
        )

    # Sam (the lower id, so first on a tie) has one appointment that day; Alex none.
    hold(sam, 9)
    # An appointment on another day counts for nothing.
    services.appointment_book(
        client=make_client(),
        service=consultation,
        practitioner=alex,
        starts_at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        booked_by=front_desk,
    )

    assert book_any(10, "first").practitioner == alex
    # One each now: the tie goes to the one first on the books.
    assert book_any(11, "second").practitioner == sam
    # Sam two, Alex one.
    assert book_any(13, "third").practitioner == alex


def test_any_practitioner_passes_to_the_next_when_the_least_booked_is_taken(
    london, sam, alex, make_client, consultation, front_desk
):
    at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    services.appointment_book(
        client=make_client(),
        service=consultation,
        practitioner=alex,
        starts_at=at,
        booked_by=front_desk,
    )

    booked = services.online_booking_book(
        location=london,
        service=consultation,
        starts_at=at,
        practitioner=None,
        first_name="Late",
        last_name="Visitor",
        email="late@example.com",
        phone="",
        reminder_consent=True,
    )

    assert booked.practitioner == sam


def test_a_time_off_the_grid_or_outside_hours_is_refused_and_changes_nothing(
    london, sam, consultation
):
    for at in (
        datetime(2026, 3, 2, 9, 7, tzinfo=UTC),
        datetime(2026, 3, 2, 20, 0, tzinfo=UTC),
    ):
        with pytest.raises(services.BookingError, match="no longer free"):
            services.online_booking_book(
                location=london,
                service=consultation,
                starts_at=at,
                practitioner=None,
                first_name="Odd",
                last_name="Time",
                email="odd@example.com",
                phone="",
                reminder_consent=True,
            )
    assert not Client.objects.exists()


def test_a_bot_that_fills_the_hidden_field_books_nothing(
    client, london, sam, consultation
):
    response = book(client, london, consultation, website="http://spam")

    assert response.status_code == 302
    assert "reached us" in client.get(response["Location"]).text
    assert not Appointment.objects.exists()
    assert not Client.objects.exists()


def test_too_many_attempts_from_one_address_are_refused(
    client, london, sam, consultation, settings
):
    settings.ONLINE_BOOKING_LIMIT = 2
    url = first_time_url(client, london, consultation)
    for _ in range(2):
        client.post(url, {"first_name": "x"})

    response = client.post(url, DETAILS)

    assert response.status_code == 429
    assert "Too many bookings" in response.text
    assert 'value="Priya"' in response.text
    assert not Appointment.objects.exists()


def test_a_time_taken_meanwhile_is_refused_and_what_was_typed_stays(
    client, london, sam, consultation, jo, front_desk
):
    url = first_time_url(client, london, consultation)
    services.appointment_book(
        client=jo,
        service=consultation,
        practitioner=sam,
        starts_at=at_of(url),
        booked_by=front_desk,
    )
    assert "That time has just been taken" in client.get(url).text

    response = client.post(url, DETAILS)

    assert response.status_code == 409
    assert "no longer free" in response.text and "Pick another time" in response.text
    assert 'value="Priya.Shah@example.com"' in response.text
    assert Appointment.objects.count() == 1
    assert Client.objects.count() == 1


def test_bad_details_are_explained_and_kept(client, london, sam, consultation):
    response = book(client, london, consultation, email="not-an-email", phone="12")

    assert response.status_code == 422
    assert "Enter a valid email address." in response.text
    assert "is not a valid phone number" in response.text
    assert 'value="Shah"' in response.text
    assert not Appointment.objects.exists()


def test_a_details_page_without_a_time_goes_back_to_the_times(
    client, london, sam, consultation
):
    url = f"/book/{london.pk}/{consultation.pk}/details/"
    for query in ("", "?at=yesterday", "?at=2026-03-02T09:00"):
        response = client.get(url + query)
        assert response.status_code == 302
        assert response["Location"].startswith(f"/book/{london.pk}/{consultation.pk}/")
    assert client.post(url, DETAILS).status_code == 302
    assert not Appointment.objects.exists()


def test_a_client_on_file_is_found_by_email_and_name_and_left_unchanged(
    client, london, sam, consultation
):
    known = Client.objects.create(
        first_name="Priya",
        last_name="Shah",
        email="priya.shah@example.com",
        phone="+447700900999",
    )
    stranger = Client.objects.create(
        first_name="Other", last_name="Person", email="other@example.com"
    )

    book(client, london, consultation)
    book(client, london, consultation, email="other@example.com")

    first, second = Appointment.objects.order_by("pk")
    assert first.client == known
    known.refresh_from_db()
    assert known.phone == "+447700900999"
    assert second.client not in (known, stranger)
    assert second.client.first_name == "Priya"


def test_a_closed_or_unknown_location_or_service_is_not_found(
    client, london, consultation, smp_session
):
    assert client.get(f"/book/{london.pk}/{smp_session.pk}/").status_code == 404
    assert client.get(f"/book/{london.pk}/999999/").status_code == 404
    london.is_active = False
    london.save()

    assert client.get(f"/book/{london.pk}/").status_code == 404
    assert client.get(f"/book/{london.pk}/{consultation.pk}/").status_code == 404
    assert client.get("/book/999999/").status_code == 404


def test_with_no_consultation_offered_online_booking_is_closed(client, london):
    assert "Online booking is closed" in client.get("/book/").text
    assert client.get(f"/book/{london.pk}/").status_code == 404


def test_a_tampered_confirmation_page_shows_no_booking(client, db):
    page = client.get("/book/done/forged:token/").text
    assert "reached us" in page
    assert "is booked for" not in page


def test_the_booking_needs_no_staff_login_and_keeps_the_notice_rule(
    client, london, sam, consultation, frozen_now
):
    page = client.get(f"/book/{london.pk}/{consultation.pk}/").text
    starts = [at_of(link) for link in time_links(page)]

    assert starts
    assert min(starts) > datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def test_times_are_the_clinics_labelled_by_its_city(
    client, make_practitioner, consultation
):
    new_york = Location.objects.create(
        name="Manhattan", timezone="America/New_York", phone="+12125550100"
    )
    make_practitioner("Kim", location=new_york)
    url = f"/book/{new_york.pk}/{consultation.pk}/"

    page = client.get(url).text

    assert "New York time" in page
    assert 'data-clinic-zone="America/New_York"' in page
    # 09:00 in New York is 14:00 UTC (EST, before the clocks change on 8 March).
    first = time_links(page)[0]
    assert at_of(first) == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    assert ">09:00</a>" in page
    details = client.get(first).text
    assert "Monday 2 March, 09:00" in details and "New York time" in details
    done = client.get(client.post(first, DETAILS)["Location"]).text
    assert "Monday 2 March 2026, 09:00" in done and "New York time" in done


def test_hostile_strings_are_text_on_every_step(client, make_practitioner, db):
    hostile = "<script>alert(1)</script> \"quoted\" 'single' 💈"
    location = Location.objects.create(
        name=hostile, address=hostile, timezone="Europe/London"
    )
    service = Service.objects.create(
        name=hostile,
        kind=Service.Kind.CONSULTATION,
        duration_minutes=30,
        needs_room=False,
    )
    make_practitioner(hostile, location=location)
    url = first_time_url(client, location, service)
    pages = [
        client.get("/book/").text,
        client.get(f"/book/{location.pk}/").text,
        client.get(f"/book/{location.pk}/{service.pk}/").text,
        client.get(url).text,
        client.post(url, {**DETAILS, "first_name": hostile, "email": "x"}).text,
    ]
    done = client.post(url, {**DETAILS, "first_name": hostile, "notes": hostile})
    pages.append(client.get(done["Location"]).text)
    assert Client.objects.get().first_name == hostile

    for page in pages:
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_video_consultation_needs_no_room_and_its_confirmation_gives_the_link(
    client, london, sam, video, front_desk, settings, mailoutbox
):
    london.video_link = "https://meet.example.com/smp-london"
    london.save()
    # Every room is out of use: a visit could not be booked, a video call can.
    Room.objects.create(location=london, name="Room 1", is_active=False)

    response = book(client, london, video)

    appointment = Appointment.objects.get()
    assert (appointment.service, appointment.room) == (video, None)
    done = client.get(response["Location"]).text
    assert 'href="https://meet.example.com/smp-london"' in done
    messages_send_due()
    email = next(m for m in mailoutbox if "smp-london" in m.body)
    assert "By video: join at https://meet.example.com/smp-london" in email.body
    html = email.alternatives[0][0]
    assert 'href="https://meet.example.com/smp-london"' in html
    ics = next(a for a in email.attachments if a[0] == "appointment.ics")[1]
    assert "LOCATION:https://meet.example.com/smp-london" in ics


def test_a_phone_consultation_needs_the_clients_number_and_says_it_calls(
    client, london, sam, phone_call, mailoutbox
):
    refused = book(client, london, phone_call, phone="")
    assert refused.status_code == 422
    assert "A phone consultation needs your phone number." in refused.text

    response = book(client, london, phone_call)

    assert response.status_code == 302
    assert "we call you on the number you gave" in client.get(response["Location"]).text
    messages_send_due()
    email = mailoutbox[-1]
    assert "By phone: we call you on" in email.body
    assert london.name in email.body


def test_a_remote_service_with_a_room_is_refused(db):
    service = Service(
        name="Video with room",
        kind=Service.Kind.CONSULTATION,
        meeting=Service.Meeting.VIDEO,
        duration_minutes=20,
        needs_room=True,
    )
    with pytest.raises(ValidationError, match="needs no room"):
        service.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        service.save()


def test_online_services_are_the_active_consultations_in_person_first(
    consultation, video, phone_call, smp_session
):
    assert list(selectors.online_services()) == [consultation, phone_call, video]


# Photos for a quote before the visit.


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_a_new_client_sends_scalp_photos_stored_without_exif_with_their_consent(
    client, london, sam, video, consent_texts, media
):
    from PIL import Image

    from tests.treatments.test_photos import jpeg_with_gps
    from treatments.models import Photo

    # On file with the same name and email: photos and a signed consent go to a new
    # record, never into one the sender may not own.
    known = Client.objects.create(
        first_name="Priya", last_name="Shah", email="priya.shah@example.com"
    )
    url = first_time_url(client, london, video)
    page = client.get(url).text
    assert 'enctype="multipart/form-data"' in page
    assert "Crown" in page and "Photographs for the clinical record consent" in page

    response = client.post(
        url,
        {
            **DETAILS,
            "photo_front": upload("front.jpg", jpeg_with_gps()),
            "photo_crown": upload("crown.jpg", jpeg_with_gps(orientation=1)),
            "photo_consent": "on",
        },
    )

    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.client != known
    photos = list(Photo.objects.filter(client=appointment.client).order_by("view"))
    assert [(p.view, p.kind, p.uploaded_by) for p in photos] == [
        ("crown", "before", None),
        ("front", "before", None),
    ]
    for photo in photos:
        with photo.image.open("rb") as stored, Image.open(stored) as picture:
            assert dict(picture.getexif()) == {}
            assert "exif" not in picture.info
        with photo.image.open("rb") as stored:
            assert b"PhoneCo" not in stored.read()
    consent = appointment.client.consents.get()
    assert consent.text == consent_texts["photos"]
    assert (consent.typed_name, consent.witnessed_by) == ("Priya Shah", None)


def test_photos_without_consent_or_not_photos_are_refused_and_nothing_is_kept(
    client, london, sam, video, consent_texts, media
):
    from tests.treatments.test_photos import jpeg_with_gps
    from treatments.models import Photo

    url = first_time_url(client, london, video)
    no_consent = client.post(
        url, {**DETAILS, "photo_top": upload("top.jpg", jpeg_with_gps())}
    )
    impostor = client.post(
        url,
        {
            **DETAILS,
            "photo_back": upload("back.jpg", b"<svg onload=alert(1)>"),
            "photo_consent": "on",
        },
    )

    assert no_consent.status_code == 422
    assert "agree to us keeping them in your clinical record" in no_consent.text
    assert impostor.status_code == 422
    assert "SVG files cannot be uploaded" in impostor.text
    assert "<svg onload" not in impostor.text
    assert not Appointment.objects.exists() and not Client.objects.exists()
    assert not Photo.objects.exists()


def test_without_a_photo_consent_text_the_form_asks_for_no_photos(
    client, london, sam, video
):
    page = client.get(first_time_url(client, london, video)).text
    assert 'type="file"' not in page and "multipart" in page


def test_staff_see_how_to_meet_on_the_appointment_page(
    client, london, sam, video, phone_call, front_desk
):
    london.video_link = "https://meet.example.com/smp-london"
    london.save()
    book(client, london, video)
    book(client, london, phone_call, email="call@example.com")
    by_video, by_phone = Appointment.objects.order_by("service__meeting").reverse()

    client.force_login(front_desk)

    page = client.get(f"/appointments/{by_video.pk}/").text
    assert 'By video: <a href="https://meet.example.com/smp-london"' in page
    page = client.get(f"/appointments/{by_phone.pk}/").text
    assert 'By phone: call <a href="tel:+447700900456">' in page
