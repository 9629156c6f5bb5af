"""The front desk's calendar pages: day and week views, booking, the workflow."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments import services
from appointments.models import Appointment, Closure, TimeOff

pytestmark = pytest.mark.usefixtures("frozen_now", "rooms")

DAY = "2026-03-02"  # Monday; London is on GMT, so wall times equal UTC.


def at(hour, minute=0, day=2):
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def book(front_desk, jo, consultation):
    def make(practitioner, hour, minute=0, *, service=None, client=None):
        return services.appointment_book(
            client=client or jo,
            service=service or consultation,
            practitioner=practitioner,
            starts_at=at(hour, minute),
            booked_by=front_desk,
        )

    return make


def day_view(client, london, day=DAY):
    return client.get("/calendar/", {"location": london.pk, "date": day})


def booking_data(**fields):
    return {"time": "10:00", "date": DAY, "notes": "", **fields}


class TestDayView:
    def test_it_shows_practitioners_as_columns_and_appointments_with_status_text(
        self, client, front_desk, london, sam, alex, book
    ):
        book(sam, 10)
        client.force_login(front_desk)
        page = day_view(client, london).text
        assert "Sam Okafor" in page and "Alex Okafor" in page
        assert "Jo Bloggs" in page
        assert '<span class="status">Booked</span>' in page
        assert "10:00–10:30" in page

    def test_free_time_links_to_the_booking_form_for_that_practitioner_and_time(
        self, client, front_desk, london, sam
    ):
        client.force_login(front_desk)
        page = day_view(client, london).text
        assert "Book 11:00" in page
        form = client.get(
            "/appointments/new/",
            {
                "practitioner": sam.pk,
                "location": london.pk,
                "start": "2026-03-02T11:00:00+00:00",
            },
        ).text
        assert 'value="11:00"' in form
        assert 'value="2026-03-02"' in form
        # (the option may carry the practitioner's locations after "selected")
        assert re.search(rf'<option value="{sam.pk}" selected[ >]', form)

    def test_cancelled_appointments_are_listed_and_free_their_time(
        self, client, front_desk, london, sam, book
    ):
        appointment = book(sam, 10)
        services.appointment_cancel(
            appointment=appointment, reason="Client ill", by=front_desk
        )
        client.force_login(front_desk)
        page = day_view(client, london).text
        assert "Cancelled and no-shows" in page
        assert "Client ill" in page
        assert "Book 10:00" in page

    def test_a_closure_is_announced_and_nothing_can_be_booked(
        self, client, front_desk, london, sam
    ):
        Closure.objects.create(location=london, date=at(0).date(), name="Bank holiday")
        client.force_login(front_desk)
        page = day_view(client, london).text
        assert "Closed:</strong> Bank holiday" in page
        assert "Book " not in page

    def test_time_off_shows_in_the_practitioners_column(
        self, client, front_desk, london, sam
    ):
        TimeOff.objects.create(
            practitioner=sam, starts_at=at(13), ends_at=at(17), reason="Dentist"
        )
        client.force_login(front_desk)
        page = day_view(client, london).text
        assert "Time off</span> Dentist" in page
        assert "Book 14:00" not in page

    def test_time_off_over_a_booking_sits_beside_it_and_the_booking_keeps_its_row(
        self, client, front_desk, london, sam, alex, book
    ):
        book(sam, 11)
        TimeOff.objects.create(
            practitioner=sam, starts_at=at(10), ends_at=at(13), reason="<b>Dentist"
        )
        client.force_login(front_desk)
        page = day_view(client, london).text
        # Sam's column splits in two lanes; Alex's keeps one.
        assert re.search(
            rf'<th scope="col" colspan="2">\s*<span class="practitioner-swatch '
            rf'practitioner-{sam.pk}"',
            page,
        )
        assert re.search(
            rf'<th scope="col">\s*<span class="practitioner-swatch '
            rf'practitioner-{alex.pk}"',
            page,
        )
        rows = page.split("<tr>")
        ten = next(row for row in rows if ">10:00</th>" in row)
        eleven = next(row for row in rows if ">11:00</th>" in row)
        assert "Time off</span> &lt;b&gt;Dentist" in ten and "Jo Bloggs" not in ten
        assert "11:00–11:30" in eleven and "Jo Bloggs" in eleven
        assert "outside hours" not in eleven.split("Jo Bloggs")[0]

    def test_a_bad_query_shows_today_with_a_message(
        self, client, front_desk, london, sam
    ):
        client.force_login(front_desk)
        response = client.get("/calendar/", {"location": "999", "date": "soon"})
        assert response.status_code == 200
        assert "That calendar does not exist" in response.text
        assert "Monday 2 March 2026" in response.text

    def test_the_query_count_is_the_same_for_10_and_1000_appointments(
        self, client, front_desk, london, sam, alex, make_client, consultation
    ):
        client.force_login(front_desk)
        day_view(client, london)  # the signed-in user, cached from now

        def count(appointments: int) -> int:
            Appointment.objects.all().delete()
            rows = []
            for n in range(appointments):
                # 16 half-hour appointments a day from 09:00, the first day today.
                day, slot = divmod(n, 16)
                start = at(9) + timedelta(days=day, minutes=30 * slot)
                end = start + timedelta(minutes=29)
                rows.append(
                    Appointment(
                        client=make_client() if n < 3 else rows[0].client,
                        service=consultation,
                        practitioner=(sam, alex)[n % 2],
                        location=london,
                        starts_at=start,
                        ends_at=end,
                        busy_starts_at=start,
                        busy_ends_at=end,
                        source="front_desk",
                    )
                )
            Appointment.objects.bulk_create(rows)
            with CaptureQueriesContext(connection) as queries:
                assert day_view(client, london).status_code == 200
            return len(queries)

        # The first request after logging in reads the user once, then the cache
        # has it (core.backends): counted before, both counts are of the same kind.
        assert client.get("/calendar/week/").status_code == 200
        assert count(10) == count(1000)
        assert count(10) <= 12, count(10)


class TestWeekView:
    def test_it_shows_seven_days_for_one_practitioner(
        self, client, front_desk, london, sam, alex, book
    ):
        book(sam, 10)
        book(alex, 11)
        client.force_login(front_desk)
        page = client.get(
            "/calendar/week/",
            {"practitioner": sam.pk, "location": london.pk, "date": "2026-03-04"},
        ).text
        for heading in ("Mon 2 Mar", "Sun 8 Mar"):
            assert heading in page
        assert "Week of Monday 2 March 2026" in page
        assert page.count("Jo Bloggs") == 1


class TestBooking:
    def test_the_front_desk_books_from_the_form(
        self, client, front_desk, london, sam, jo, consultation
    ):
        client.force_login(front_desk)
        response = client.post(
            "/appointments/new/",
            booking_data(
                client=jo.pk,
                service=consultation.pk,
                practitioner=sam.pk,
                location=london.pk,
                notes="Wants a soft hairline",
            ),
        )
        appointment = Appointment.objects.get()
        assert response.status_code == 302
        assert response.url == f"/appointments/{appointment.pk}/"
        assert appointment.starts_at == at(10)
        assert appointment.notes == "Wants a soft hairline"
        assert appointment.booked_by == front_desk

    def test_from_the_dialog_it_redirects_htmx_back_to_the_calendar(
        self, client, front_desk, london, sam, jo, consultation
    ):
        client.force_login(front_desk)
        back = f"/calendar/?location={london.pk}&date={DAY}"
        response = client.post(
            "/appointments/new/",
            booking_data(
                client=jo.pk,
                service=consultation.pk,
                practitioner=sam.pk,
                location=london.pk,
                next=back,
            ),
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 204
        assert response.headers["HX-Redirect"] == back

    def test_it_never_redirects_off_site(
        self, client, front_desk, london, sam, jo, consultation
    ):
        client.force_login(front_desk)
        response = client.post(
            "/appointments/new/",
            booking_data(
                client=jo.pk,
                service=consultation.pk,
                practitioner=sam.pk,
                location=london.pk,
                next="https://evil.test/",
            ),
        )
        assert response.url.startswith("/appointments/")

    def test_a_conflict_names_what_is_in_the_way_offers_slots_and_keeps_the_input(
        self, client, front_desk, london, sam, jo, consultation, book, make_client
    ):
        book(sam, 10, client=make_client())
        client.force_login(front_desk)
        data = booking_data(
            client=jo.pk,
            service=consultation.pk,
            practitioner=sam.pk,
            location=london.pk,
            notes="Prefers mornings",
        )
        response = client.post("/appointments/new/", data)
        page = response.text
        assert response.status_code == 200
        assert "That time is taken: Sam Okafor has Consultation with Client1" in page
        assert "Prefers mornings" in page
        assert f'value="{jo.pk}" id="client-{jo.pk}" checked' in page
        assert 'name="slot" value="' in page
        assert Appointment.objects.count() == 1

        # One click on an offered time books it, everything else as typed.
        offered = f"{sam.pk}|2026-03-02T10:30:00+00:00"
        response = client.post("/appointments/new/", {**data, "slot": offered})
        assert response.status_code == 302
        booked = Appointment.objects.get(client=jo)
        assert booked.starts_at == at(10, 30)
        assert booked.notes == "Prefers mornings"

    def test_without_a_client_it_says_so_and_books_nothing(
        self, client, front_desk, london, sam, consultation
    ):
        client.force_login(front_desk)
        response = client.post(
            "/appointments/new/",
            booking_data(
                service=consultation.pk, practitioner=sam.pk, location=london.pk
            ),
        )
        assert "Search for the client and pick them from the list." in response.text
        assert not Appointment.objects.exists()

    def test_only_a_manager_is_offered_the_overlap_override(
        self, client, front_desk, manager, london, sam, jo, consultation, book
    ):
        client.force_login(front_desk)
        assert "overlap_reason" not in client.get("/appointments/new/").text
        book(sam, 10)
        client.force_login(manager)
        response = client.post(
            "/appointments/new/",
            booking_data(
                client=jo.pk,
                service=consultation.pk,
                practitioner=sam.pk,
                location=london.pk,
                overlap_reason="Second client is the first one's partner",
            ),
        )
        assert response.status_code == 302
        overlap = Appointment.objects.exclude(overlap_reason="").get()
        assert overlap.overlap_approved_by == manager

    def test_the_client_search_finds_by_name_email_or_phone(
        self, client, front_desk, outsider, jo
    ):
        jo.phone = "+447700900123"
        jo.save()
        client.force_login(front_desk)
        for query in ("bloggs", "jo@x", "900123", "Jo Blo"):
            page = client.get("/clients/options/", {"q": query}).text
            assert f'value="{jo.pk}"' in page, query
        page = client.get("/clients/options/", {"q": "nobody"}).text
        assert "No client matches" in page
        client.force_login(outsider)
        assert client.get("/clients/options/", {"q": "jo"}).status_code == 403


class TestWorkflow:
    def test_arrived_then_completed(self, client, front_desk, sam, book, frozen_now):
        appointment = book(sam, 10)
        client.force_login(front_desk)
        client.post(f"/appointments/{appointment.pk}/check-in/")
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.CHECKED_IN
        frozen_now.move_to(at(10, 5))
        client.force_login(front_desk)
        today = "/appointments/today/"
        response = client.post(
            f"/appointments/{appointment.pk}/complete/", {"next": today}
        )
        assert response.url == today
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.COMPLETED

    def test_a_no_show_before_the_start_is_refused_with_a_message(
        self, client, front_desk, sam, book
    ):
        appointment = book(sam, 10)
        client.force_login(front_desk)
        response = client.post(f"/appointments/{appointment.pk}/no-show/", follow=True)
        assert "once it has started" in response.text
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.BOOKED

    def test_an_unknown_action_is_a_404_and_get_is_refused(
        self, client, front_desk, sam, book
    ):
        appointment = book(sam, 10)
        client.force_login(front_desk)
        assert client.post(f"/appointments/{appointment.pk}/delete/").status_code == 404
        assert client.get(f"/appointments/{appointment.pk}/confirm/").status_code == 405

    def test_cancelling_needs_a_reason(self, client, front_desk, sam, book):
        appointment = book(sam, 10)
        client.force_login(front_desk)
        response = client.post(f"/appointments/{appointment.pk}/cancel/", {})
        assert response.status_code == 422
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.BOOKED
        client.post(f"/appointments/{appointment.pk}/cancel/", {"reason": "Moved away"})
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.CANCELLED
        assert appointment.cancellation_reason == "Moved away"

    def test_rescheduling_moves_it_or_offers_the_next_slots(
        self, client, front_desk, sam, alex, book, make_client
    ):
        appointment = book(sam, 10)
        book(sam, 14, client=make_client())
        client.force_login(front_desk)
        url = f"/appointments/{appointment.pk}/reschedule/"
        response = client.post(
            url, {"date": DAY, "time": "14:00", "practitioner": sam.pk}
        )
        assert "Not moved:" in response.text
        assert 'name="slot"' in response.text
        appointment.refresh_from_db()
        assert appointment.starts_at == at(10)

        response = client.post(
            url, {"date": DAY, "time": "14:00", "practitioner": alex.pk}
        )
        assert response.status_code == 302
        appointment.refresh_from_db()
        assert (appointment.practitioner, appointment.starts_at) == (alex, at(14))

    def test_the_outsider_cannot_see_an_appointment(self, client, outsider, sam, book):
        appointment = book(sam, 10)
        client.force_login(outsider)
        assert client.get(f"/appointments/{appointment.pk}/").status_code == 403


def test_today_lists_the_day_with_workflow_buttons(
    client, front_desk, sam, book, frozen_now
):
    book(sam, 10)
    client.force_login(front_desk)
    page = client.get("/appointments/today/").text
    assert "Jo Bloggs" in page
    # Before the start a client can arrive, but cannot yet be a no-show: it says when.
    assert "Arrived" in page and "/no-show/" not in page
    assert "No-show from 10:00." in page
    frozen_now.move_to(at(10, 1))
    client.force_login(front_desk)
    page = client.get("/appointments/today/").text
    assert "Arrived" in page and "/no-show/" in page and "No-show from" not in page


def test_next_free_gives_each_practitioners_earliest_time(
    client, front_desk, london, sam, alex, consultation, book
):
    for hour, minute in ((9, 0), (9, 30), (10, 0)):
        book(sam, hour, minute)
    client.force_login(front_desk)
    page = client.get(
        "/appointments/next-free/", {"service": consultation.pk, "date": DAY}
    ).text
    # 07:00 now plus 15 minutes' notice; both start at 09:00, Sam is busy until 10:30.
    assert "Monday 2 Mar, 09:00" in page
    assert "Monday 2 Mar, 10:30" in page
    assert page.index("Alex Okafor") < page.index("Sam Okafor")


class TestBookingOffersOnlyTheLocationsPeople:
    """Issue 20 item 6: the booking dialog offers only the practitioners and rooms of
    the chosen location."""

    @pytest.fixture
    def soho(self, db):
        from appointments.models import Location, Room

        soho = Location.objects.create(name="SoHo", timezone="America/New_York")
        Room.objects.create(location=soho, name="Studio B")
        return soho

    @staticmethod
    def options(page: str, name: str) -> list[str]:
        select = page[page.index(f'name="{name}"') :].split("</select>")[0]
        return re.findall(r"<option[^>]*>([^<]+)</option>", select)

    def test_a_cell_of_one_location_offers_only_its_practitioners_and_rooms(
        self, client, front_desk, london, soho, sam, make_practitioner
    ):
        make_practitioner("Riley", location=soho)
        client.force_login(front_desk)
        page = client.get("/appointments/new/", {"location": soho.pk}).text
        assert self.options(page, "practitioner")[1:] == ["Riley Okafor"]
        assert self.options(page, "room")[1:] == ["Studio B (SoHo)"]
        page = client.get("/appointments/new/", {"location": london.pk}).text
        assert self.options(page, "practitioner")[1:] == ["Sam Okafor"]
        assert "Studio B (SoHo)" not in self.options(page, "room")

    def test_each_option_names_its_locations_for_the_script(
        self, client, front_desk, london, soho, sam, make_practitioner
    ):
        riley = make_practitioner("Riley", location=soho)
        riley.locations.add(london)
        client.force_login(front_desk)
        page = client.get("/appointments/new/").text
        assert "data-location-filter" in page
        assert f'value="{sam.pk}" data-locations="{london.pk}"' in page
        assert (
            f'data-locations="{london.pk} {soho.pk}"' in page
            or f'data-locations="{soho.pk} {london.pk}"' in page
        )
        room = soho.rooms.get()
        assert f'value="{room.pk}" data-locations="{soho.pk}"' in page

    def test_a_practitioner_of_another_location_is_refused_by_name(
        self, client, front_desk, soho, sam, jo, consultation
    ):
        client.force_login(front_desk)
        response = client.post(
            "/appointments/new/",
            booking_data(
                client=jo.pk,
                service=consultation.pk,
                practitioner=sam.pk,
                location=soho.pk,
            ),
        )
        assert "Sam Okafor does not work at SoHo." in response.text
        assert not Appointment.objects.exists()
