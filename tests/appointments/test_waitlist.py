"""The waitlist: a cancellation offers the freed time by email to the clients waiting
for it; the first to accept has it (booked through the booking service), the others
are told it has gone, and a time taken meanwhile is never double-booked."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.cache import cache

from appointments import services
from appointments.models import Appointment, WaitlistEntry, WaitlistOffer
from clients.models import Client
from messaging import links, outbox
from messaging.models import MessageKind, OutboundMessage
from tests.appointments.test_booking import race

pytestmark = pytest.mark.usefixtures("frozen_now")

# Wednesday 4 March 2026, 10:00 in London (UTC in winter); the clock is Monday 07:00.
TEN = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
DAY = date(2026, 3, 4)


@pytest.fixture(autouse=True)
def _fresh_rate_limit(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clients(db):
    return [
        Client.objects.create(
            first_name=name, last_name="Waiting", email=f"{name.lower()}@x.test"
        )
        for name in ("Ann", "Ben", "Cat", "Dev", "Eve", "Fay", "Gus")
    ]


def wait(client, service, *, practitioner=None, location=None, days=(DAY, DAY)):
    return services.waitlist_entry_add(
        client=client,
        service=service,
        practitioner=practitioner,
        location=location,
        earliest_on=days[0],
        latest_on=days[1],
        notes="",
        by=None,
    )


def book(client, service, practitioner, at, by=None):
    return services.appointment_book(
        client=client,
        service=service,
        practitioner=practitioner,
        starts_at=at,
        booked_by=by,
    )


def cancel(appointment):
    return services.appointment_cancel(
        appointment=appointment, reason="Client unwell", by=None
    )


def offer_of(entry) -> WaitlistOffer:
    return WaitlistOffer.objects.get(entry=entry)


def accept_path(offer) -> str:
    return f"/m/waitlist/{links.waitlist_token(offer)}/"


def test_a_cancellation_offers_the_freed_time_to_the_clients_it_fits(
    client, jo, clients, consultation, smp_session, sam, alex, london
):
    ann, ben, cat, dev, eve, *_ = clients
    fits_any = wait(ann, consultation)
    fits_sam = wait(ben, consultation, practitioner=sam, location=london)
    wants_alex = wait(cat, consultation, practitioner=alex)
    other_days = wait(dev, consultation, days=(DAY + timedelta(1), DAY + timedelta(9)))
    # A session of two hours and its buffers does not fit before the lunch break.
    too_long = wait(eve, smp_session)
    booked = book(jo, consultation, sam, TEN)

    cancel(booked)

    offered = set(WaitlistOffer.objects.values_list("entry", flat=True))
    assert offered == {fits_any.pk, fits_sam.pk}
    assert {wants_alex.pk, other_days.pk, too_long.pk}.isdisjoint(offered)
    offer = offer_of(fits_any)
    assert (offer.practitioner, offer.starts_at, offer.status) == (sam, TEN, "open")

    outbox.messages_send_due()

    sent = {m.to[0]: m for m in mail.outbox}
    assert set(sent) == {"ann@x.test", "ben@x.test"}
    email = sent["ann@x.test"]
    assert "Wed 4 Mar at 10:00" in email.subject
    accept_url = re.search(r"http\S+/m/waitlist/\S+/", email.body)[0]
    page = client.get(accept_url.split("testserver", 1)[-1].split("8000", 1)[-1])
    assert page.status_code == 200
    assert "Book this time" in page.text and "Consultation" in page.text


def test_the_first_to_accept_has_the_time_and_the_others_are_told_it_has_gone(
    client, jo, clients, consultation, sam
):
    ann, ben, cat, *_ = clients
    first, second, third = (wait(c, consultation) for c in (ann, ben, cat))
    cancel(book(jo, consultation, sam, TEN))
    outbox.messages_send_due()
    mail.outbox.clear()

    answer = client.post(accept_path(offer_of(second)), {"answer": "accept"})

    assert answer.status_code == 200 and "It is yours" in answer.text
    appointment = Appointment.objects.get(client=ben, status="booked")
    assert (appointment.starts_at, appointment.source) == (TEN, "waitlist")
    second.refresh_from_db()
    assert (second.status, second.appointment) == ("booked", appointment)
    assert offer_of(second).status == "accepted"
    assert {offer_of(first).status, offer_of(third).status} == {"gone"}

    outbox.messages_send_due()
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects["ben@x.test"].startswith("Booked: Consultation")
    assert "has gone" in subjects["ann@x.test"]
    assert "has gone" in subjects["cat@x.test"]

    late = client.post(accept_path(offer_of(first)), {"answer": "accept"})
    assert late.status_code == 409 and "another client took" in late.text
    assert Appointment.objects.filter(starts_at=TEN, status="booked").count() == 1
    first.refresh_from_db()
    assert first.status == "waiting"

    again = client.post(accept_path(offer_of(second)), {"answer": "accept"})
    assert again.status_code == 409 and "already" in again.text
    assert Appointment.objects.filter(client=ben).count() == 1


def test_a_time_the_front_desk_filled_meanwhile_is_refused_not_double_booked(
    client, jo, clients, consultation, sam, make_client
):
    ann, ben, *_ = clients
    entries = [wait(ann, consultation), wait(ben, consultation)]
    cancel(book(jo, consultation, sam, TEN))
    walk_in = book(make_client(), consultation, sam, TEN)

    answer = client.post(accept_path(offer_of(entries[0])), {"answer": "accept"})

    assert answer.status_code == 409
    assert list(Appointment.objects.filter(status="booked")) == [walk_in]
    assert [offer_of(e).status for e in entries] == ["gone", "gone"]
    assert OutboundMessage.objects.filter(
        kind=MessageKind.WAITLIST_GONE, client=ben
    ).exists()


def test_offers_go_to_the_longest_waiting_up_to_the_limit(
    settings, jo, clients, consultation, sam
):
    settings.WAITLIST_OFFERS_PER_TIME = 3
    entries = [wait(c, consultation) for c in clients]

    cancel(book(jo, consultation, sam, TEN))

    offered = list(
        WaitlistOffer.objects.order_by("entry__created_at").values_list(
            "entry", flat=True
        )
    )
    assert offered == [e.pk for e in entries[:3]]


def test_a_client_who_could_not_be_booked_then_is_not_offered_it(
    jo, clients, smp_session, sam, rooms, treatment_ready
):
    # Both pass every other gate before treatment: the patch test is the point.
    treatment_ready(jo)
    treatment_ready(clients[0])
    booked = book(jo, smp_session, sam, TEN - timedelta(minutes=45))
    # The clinic now asks for a passed patch test first, which Ann does not have.
    smp_session.needs_patch_test = True
    smp_session.save()
    wait(clients[0], smp_session)

    cancel(booked)

    assert not WaitlistOffer.objects.exists()


def test_a_moved_appointment_offers_the_time_it_left(jo, clients, consultation, sam):
    entry = wait(clients[0], consultation)
    booked = book(jo, consultation, sam, TEN)

    services.appointment_reschedule(
        appointment=booked, starts_at=TEN + timedelta(hours=4), by=None
    )

    offer = offer_of(entry)
    assert (offer.starts_at, offer.freed_starts_at) == (TEN, TEN)


def test_a_declined_offer_leaves_the_client_waiting(
    client, jo, clients, consultation, sam
):
    entry = wait(clients[0], consultation)
    cancel(book(jo, consultation, sam, TEN))

    answer = client.post(accept_path(offer_of(entry)), {"answer": "decline"})

    assert answer.status_code == 200
    assert offer_of(entry).status == "withdrawn"
    entry.refresh_from_db()
    assert entry.status == "waiting"
    assert not Appointment.objects.filter(client=clients[0]).exists()
    # The offer's email, not sent yet, no longer applies.
    result = outbox.messages_send_due()
    assert (result.sent, result.skipped) == (0, 1)


def test_links_that_are_tampered_or_of_another_kind_change_nothing(
    client, jo, clients, consultation, sam
):
    entry = wait(clients[0], consultation)
    booked = book(jo, consultation, sam, TEN)
    cancel(booked)
    token = links.waitlist_token(offer_of(entry))

    tampered = client.post(f"/m/waitlist/{token[:-2]}xx/", {"answer": "accept"})
    # A confirm link's token names an appointment, not an offer.
    other_kind = client.post(
        f"/m/waitlist/{links.action_token('confirm', booked)}/", {"answer": "accept"}
    )

    assert tampered.status_code == 400 and other_kind.status_code == 410
    assert offer_of(entry).status == "open"
    assert not Appointment.objects.filter(client=clients[0]).exists()


def test_the_front_desk_adds_a_client_and_bad_input_is_explained_and_kept(
    client, front_desk, clients, consultation, sam, london
):
    ann = clients[0]
    client.force_login(front_desk)
    page = client.get(f"/clients/{ann.pk}/waitlist/")
    assert page.status_code == 200 and "Add Ann Waiting to the waitlist" in page.text

    bad = client.post(
        f"/clients/{ann.pk}/waitlist/",
        {
            "service": consultation.pk,
            "practitioner": sam.pk,
            "earliest_on": "2026-03-20",
            "latest_on": "2026-03-10",
            "notes": "Mornings only",
        },
    )
    assert bad.status_code == 422
    assert "The window ends before it starts." in bad.text
    assert "Mornings only" in bad.text
    assert not WaitlistEntry.objects.exists()

    good = client.post(
        f"/clients/{ann.pk}/waitlist/",
        {
            "service": consultation.pk,
            "location": london.pk,
            "earliest_on": "2026-03-03",
            "latest_on": "2026-03-31",
            "notes": "Mornings only",
        },
    )
    assert good.status_code == 302
    entry = WaitlistEntry.objects.get()
    assert (entry.practitioner, entry.location, entry.added_by) == (
        None,
        london,
        front_desk,
    )
    assert "Not waiting" not in client.get(f"/clients/{ann.pk}/").text
    listing = client.get("/waitlist/").text
    assert "Ann Waiting" in listing and "Mornings only" in listing

    removed = client.post(f"/waitlist/{entry.pk}/remove/")
    assert removed.status_code == 302
    entry.refresh_from_db()
    assert entry.status == "removed"
    assert "No one is waiting" in client.get("/waitlist/").text


def test_a_client_without_email_or_consent_cannot_wait(
    client, front_desk, jo, consultation
):
    client.force_login(front_desk)
    jo.reminder_consent = False
    jo.save()
    form = {
        "service": consultation.pk,
        "earliest_on": "2026-03-03",
        "latest_on": "2026-03-31",
    }

    answer = client.post(f"/clients/{jo.pk}/waitlist/", form)

    assert answer.status_code == 422
    assert "has not agreed to reminder emails" in answer.text
    assert not WaitlistEntry.objects.exists()


def test_the_cancelling_front_desk_is_told_who_was_offered_the_time(
    client, front_desk, jo, clients, consultation, sam
):
    wait(clients[0], consultation)
    wait(clients[1], consultation)
    booked = book(jo, consultation, sam, TEN)
    client.force_login(front_desk)

    answer = client.post(
        f"/appointments/{booked.pk}/cancel/", {"reason": "Unwell"}, follow=True
    )

    assert "offered to 2 clients on the waitlist" in answer.text


def test_two_clients_accepting_at_once_end_with_one_booking(
    jo, clients, consultation, sam, transactional_db
):
    entries = [wait(c, consultation) for c in clients[:5]]
    cancel(book(jo, consultation, sam, TEN))
    offers = [offer_of(e) for e in entries]

    def accept(offer):
        def run():
            answer = services.waitlist_offer_accept(offer=offer)
            if answer.appointment is None:
                raise services.BookingError(answer.refusal)

        return run

    outcomes = race([accept(offer) for offer in offers])

    assert sorted(outcomes) == ["booked"] + ["refused"] * 4
    assert Appointment.objects.filter(starts_at=TEN, status="booked").count() == 1
    statuses = sorted(WaitlistOffer.objects.values_list("status", flat=True))
    assert statuses == ["accepted"] + ["gone"] * 4


def test_a_client_who_unsubscribed_is_not_offered_times(
    client, jo, clients, consultation, sam
):
    entry = wait(clients[0], consultation)
    unsubscribe = links.unsubscribe_token(clients[0])
    client.post(f"/m/unsubscribe/{unsubscribe}/")

    cancel(book(jo, consultation, sam, TEN))

    assert not WaitlistOffer.objects.filter(entry=entry).exists()


def test_staff_see_the_offer_and_the_gone_emails_as_the_client_does(
    client, front_desk, jo, clients, consultation, sam
):
    first, second = wait(clients[0], consultation), wait(clients[1], consultation)
    cancel(book(jo, consultation, sam, TEN))
    services.waitlist_offer_accept(offer=offer_of(first))
    client.force_login(front_desk)

    for kind, words in (
        (MessageKind.WAITLIST_OFFER, "See the time and accept it"),
        (MessageKind.WAITLIST_GONE, "has been taken by another client"),
    ):
        message = OutboundMessage.objects.get(kind=kind, client=second.client)
        page = client.get(f"/clients/messages/{message.pk}/")
        assert page.status_code == 200 and words in page.text
    assert "Waitlist: the time has gone" in client.get("/clients/messages/").text


def test_the_waitlist_page_adds_a_client_found_by_search_and_returns_there(
    client, front_desk, clients, consultation, london
):
    """Issue 20 item 6: an Add button on the waitlist page itself."""
    ann = clients[0]
    client.force_login(front_desk)
    listing = client.get("/waitlist/").text
    assert 'href="/waitlist/add/"' in listing and "Add a client" in listing
    assert "No client matches" in client.get("/waitlist/add/", {"q": "zzz"}).text
    found = client.get("/waitlist/add/", {"q": "ann"}).text
    form_url = f"/clients/{ann.pk}/waitlist/?next=/waitlist/"
    assert f'href="{form_url}"' in found
    form = client.get(form_url).text
    assert 'name="next" value="/waitlist/"' in form
    added = client.post(
        form_url,
        {
            "service": consultation.pk,
            "location": london.pk,
            "earliest_on": "2026-03-03",
            "latest_on": "2026-03-31",
            "next": "/waitlist/",
        },
    )
    assert added.status_code == 302 and added.url == "/waitlist/"
    assert WaitlistEntry.objects.get().client == ann
    # Only a path on this site is followed.
    WaitlistEntry.objects.all().delete()
    elsewhere = client.post(
        f"/clients/{ann.pk}/waitlist/",
        {
            "service": consultation.pk,
            "earliest_on": "2026-03-03",
            "latest_on": "2026-03-31",
            "next": "https://evil.test/",
        },
    )
    assert elsewhere.url == f"/clients/{ann.pk}/"
