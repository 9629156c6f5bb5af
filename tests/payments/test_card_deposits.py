"""Deposits by card on Stripe Checkout: an online booking of a service with a
deposit is held until paid, confirmed by Stripe's signed event (applied once),
released by the sweep if unpaid; card refunds go back through Stripe. The real
`stripe` library talks to a local stand-in (tests/stripe_standin.py)."""

import json
import logging
import threading
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.test import Client as BrowserClient
from django.utils import timezone

from appointments import services as booking
from appointments.models import Appointment, WaitlistOffer
from clients.models import Client
from messaging.models import MessageKind, OutboundMessage
from payments import checkout, services
from payments.models import CardCheckout, CardRefund, LedgerEntry, StripeEvent
from tests import stripe_standin
from tests.online_booking import first_time_url
from tests.stripe_standin import StripeStandin, event_json, signature

pytestmark = pytest.mark.usefixtures("frozen_now", "rooms")

DETAILS = {
    "first_name": "Priya",
    "last_name": "<script>alert('x')</script>",
    "email": "priya@example.com",
    "phone": "07700 900456",
    "reminder_consent": "on",
}
WEBHOOK = "/payments/stripe/webhook/"


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def stripe_on(settings, httpserver):
    settings.STRIPE_SECRET_KEY = stripe_standin.SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = stripe_standin.WEBHOOK_SECRET
    settings.STRIPE_API_BASE = httpserver.url_for("/")
    return StripeStandin(httpserver)


@pytest.fixture
def deposit_consultation(consultation):
    consultation.price_minor, consultation.deposit_minor = 40000, 10000
    consultation.save()
    return consultation


def book_online(client, london, service):
    url = first_time_url(client, london, service)
    return client.post(url, DETAILS)


def held_appointment(client, london, service) -> Appointment:
    response = book_online(client, london, service)
    assert response.status_code == 302, response.content
    return Appointment.objects.get(source="online")


def post_event(client, event_type, obj, *, event_id=None, secret=None):
    payload = event_json(event_type, obj, event_id)
    header = signature(payload, secret or stripe_standin.WEBHOOK_SECRET)
    return client.post(
        WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def open_checkout(client, appointment) -> str:
    """The client presses Pay: the session id Stripe was asked for."""
    response = client.post(checkout.pay_url(appointment))
    assert response.status_code == 302
    return response["Location"].rsplit("/", 1)[-1]


def test_an_online_booking_with_a_deposit_is_held_until_paid_then_confirmed(
    client, london, sam, deposit_consultation, stripe_on, settings
):
    details = client.get(first_time_url(client, london, deposit_consultation)).text
    assert "held for 15 minutes until the deposit is paid" in details
    response = book_online(client, london, deposit_consultation)
    appointment = Appointment.objects.get(source="online")
    assert appointment.status == "awaiting_deposit"
    assert appointment.held_until == timezone.now() + timedelta(minutes=15)
    # Nothing is announced before the deposit is paid.
    assert not OutboundMessage.objects.filter(appointment=appointment).exists()
    assert response["Location"] == checkout.pay_url(appointment)

    page = client.get(response["Location"]).text
    assert "held for 15 minutes, until" in page
    assert "£100.00" in page
    assert "<script>alert" not in page

    pressed = client.post(response["Location"])
    assert pressed.status_code == 302
    session_id = pressed["Location"].rsplit("/", 1)[-1]
    asked = stripe_on.sessions[session_id]["form"]
    assert asked["mode"] == "payment"
    assert asked["line_items[0][price_data][unit_amount]"] == "10000"
    assert asked["line_items[0][price_data][currency]"] == "gbp"
    assert asked["customer_email"] == "priya@example.com"
    assert asked["success_url"].startswith(settings.SITE_URL + "/pay/deposit/")
    assert asked["cancel_url"] == settings.SITE_URL + checkout.pay_url(appointment)

    waiting = client.get(checkout.pay_url(appointment).rstrip("/") + "/paid/").text
    assert "Confirming your payment" in waiting
    # It asks again by htmx, not by a meta refresh (axe-core: critical).
    assert 'hx-trigger="every 5s"' in waiting and "http-equiv" not in waiting

    answer = post_event(client, "checkout.session.completed", stripe_on.pay(session_id))
    assert answer.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == "confirmed" and appointment.held_until is None
    done = client.get(checkout.pay_url(appointment).rstrip("/") + "/paid/").text
    assert "your deposit is paid" in done and "hx-trigger" not in done
    deposit = LedgerEntry.objects.get(appointment=appointment)
    assert (deposit.kind, deposit.method, deposit.amount_minor) == (
        "deposit",
        "card_online",
        10000,
    )
    assert deposit.provider_reference == f"pi_for_{session_id}"
    assert deposit.recorded_by is None and deposit.receipt.total_minor == 10000
    # Confirmed now, so announced now.
    assert OutboundMessage.objects.filter(
        appointment=appointment, kind=MessageKind.CONFIRMATION
    ).exists()
    done = client.get(checkout.pay_url(appointment).rstrip("/") + "/paid/").text
    assert "your deposit is paid" in done and "is confirmed for" in done
    # Paid: the pay page offers no second payment.
    assert "The deposit is paid" in client.get(checkout.pay_url(appointment)).text


def test_each_event_is_applied_once_whatever_its_deliveries(
    client, london, sam, deposit_consultation, stripe_on
):
    appointment = held_appointment(client, london, deposit_consultation)
    session_id = open_checkout(client, appointment)
    paid = stripe_on.pay(session_id)
    for _ in range(3):
        assert (
            post_event(
                client, "checkout.session.completed", paid, event_id="evt_once"
            ).status_code
            == 200
        )
    # Another event about the same session records nothing more either.
    post_event(client, "checkout.session.completed", paid, event_id="evt_twice")
    assert LedgerEntry.objects.filter(appointment=appointment).count() == 1
    assert StripeEvent.objects.filter(event_id="evt_once").count() == 1


def test_forged_malformed_and_unknown_events_answer_400_and_change_nothing(
    client, london, sam, deposit_consultation, stripe_on, caplog
):
    appointment = held_appointment(client, london, deposit_consultation)
    session_id = open_checkout(client, appointment)
    paid = stripe_on.pay(session_id)
    caplog.set_level(logging.DEBUG)
    forged = post_event(client, "checkout.session.completed", paid, secret="whsec_x")
    payload = event_json("checkout.session.completed", paid)
    unsigned = client.post(WEBHOOK, payload, content_type="application/json")
    stale = client.post(
        WEBHOOK,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature(
            payload, at=int(timezone.now().timestamp()) - 3600
        ),
    )
    garbage = "{not json"
    malformed = client.post(
        WEBHOOK,
        garbage,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature(garbage),
    )
    unknown_session = post_event(
        client, "checkout.session.completed", {**paid, "id": "cs_not_ours"}
    )
    unknown_type = post_event(client, "customer.created", {"id": "cus_1"})
    missing_fields = post_event(
        client, "checkout.session.completed", {"id": session_id}
    )
    answers = [
        forged,
        unsigned,
        stale,
        malformed,
        unknown_session,
        unknown_type,
        missing_fields,
    ]
    assert [a.status_code for a in answers] == [400] * 7
    appointment.refresh_from_db()
    assert appointment.status == "awaiting_deposit"
    assert not LedgerEntry.objects.exists() and not StripeEvent.objects.exists()
    # Nothing secret or of the payment reached the logs.
    logged = caplog.text
    assert stripe_standin.WEBHOOK_SECRET not in logged
    assert stripe_standin.SECRET_KEY not in logged
    assert "pi_for_" not in logged
    # GET is not accepted at all.
    assert client.get(WEBHOOK).status_code == 405


def test_the_webhook_alone_needs_no_csrf_token(
    london, sam, deposit_consultation, stripe_on
):
    browser = BrowserClient(enforce_csrf_checks=True)
    appointment = held_appointment(BrowserClient(), london, deposit_consultation)
    session_id = open_checkout(BrowserClient(), appointment)
    answer = post_event(
        browser, "checkout.session.completed", stripe_on.pay(session_id)
    )
    assert answer.status_code == 200
    # The pay page's own form still needs its token.
    assert browser.post(checkout.pay_url(appointment)).status_code == 403


def test_a_hold_blocks_its_time_like_any_booking(
    client, london, sam, deposit_consultation, stripe_on, jo, front_desk
):
    appointment = held_appointment(client, london, deposit_consultation)
    with pytest.raises(booking.BookingError):
        booking.appointment_book(
            client=jo,
            service=deposit_consultation,
            practitioner=sam,
            starts_at=appointment.starts_at,
            booked_by=front_desk,
        )


@pytest.mark.postgres
def test_postgresql_refuses_an_overlap_with_a_hold(
    client, london, sam, deposit_consultation, stripe_on, jo
):
    held = held_appointment(client, london, deposit_consultation)
    twin = Appointment(
        client=jo,
        service=held.service,
        practitioner=sam,
        location=london,
        starts_at=held.starts_at,
        ends_at=held.ends_at,
        busy_starts_at=held.busy_starts_at,
        busy_ends_at=held.busy_ends_at,
        source="front_desk",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_an_unpaid_hold_is_released_by_the_sweep_and_offered_to_the_waitlist(
    client, london, sam, deposit_consultation, stripe_on, frozen_now, front_desk
):
    appointment = held_appointment(client, london, deposit_consultation)
    session_id = open_checkout(client, appointment)
    waiting = Client.objects.create(
        first_name="Wai", last_name="Ting", email="w@x.test", reminder_consent=True
    )
    day = appointment.local_starts_at().date()
    booking.waitlist_entry_add(
        client=waiting,
        service=deposit_consultation,
        practitioner=None,
        location=None,
        earliest_on=day,
        latest_on=day,
        notes="",
        by=front_desk,
    )
    frozen_now.shift(timedelta(minutes=14))
    assert checkout.holds_release() == 0
    frozen_now.shift(timedelta(minutes=2))
    assert checkout.holds_release() == 1
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert "not paid within 15 minutes" in appointment.cancellation_reason
    assert stripe_on.expired == [session_id]
    assert WaitlistOffer.objects.filter(freed=appointment).exists()
    # The client who never paid was never told of it, so no cancellation email.
    assert not OutboundMessage.objects.filter(client=appointment.client).exists()
    page = client.get(checkout.pay_url(appointment)).text
    assert "ran out before the deposit was paid" in page
    assert 'href="/book/"' in page
    assert client.post(checkout.pay_url(appointment)).status_code == 409
    assert checkout.holds_release() == 0


def test_a_hold_paid_just_before_the_sweep_is_not_released(
    client, london, sam, deposit_consultation, stripe_on, frozen_now
):
    appointment = held_appointment(client, london, deposit_consultation)
    session_id = open_checkout(client, appointment)
    paid = stripe_on.pay(session_id)
    frozen_now.shift(timedelta(minutes=16))
    # Stripe refuses to expire a completed session: the event is on its way.
    assert checkout.holds_release() == 0
    appointment.refresh_from_db()
    assert appointment.status == "awaiting_deposit"
    post_event(client, "checkout.session.completed", paid)
    appointment.refresh_from_db()
    assert appointment.status == "confirmed"


def test_a_payment_after_the_release_is_recorded_to_refund(
    client, london, sam, deposit_consultation, stripe_on, frozen_now
):
    appointment = held_appointment(client, london, deposit_consultation)
    session_id = open_checkout(client, appointment)
    frozen_now.shift(timedelta(minutes=16))
    checkout.holds_release()
    stripe_on.sessions[session_id]["status"] = "open"  # Stripe was late to expire it
    post_event(client, "checkout.session.completed", stripe_on.pay(session_id))
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert LedgerEntry.objects.get(appointment=appointment).amount_minor == 10000
    page = client.get(checkout.pay_url(appointment).rstrip("/") + "/paid/").text
    assert "We will refund your deposit" in page


def test_without_stripe_keys_the_deposit_is_due_at_the_desk_and_nothing_is_held(
    client, london, sam, deposit_consultation, settings
):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_WEBHOOK_SECRET = ""
    details = client.get(first_time_url(client, london, deposit_consultation)).text
    assert "is due at the desk; nothing is paid online" in details
    assert "held for" not in details
    response = book_online(client, london, deposit_consultation)
    appointment = Appointment.objects.get(source="online")
    assert appointment.status == "booked" and appointment.held_until is None
    assert response["Location"].startswith("/book/done/")
    done = client.get(response["Location"]).text
    assert "£100.00</strong> is due at the desk" in done
    assert OutboundMessage.objects.filter(
        appointment=appointment, kind=MessageKind.CONFIRMATION
    ).exists()
    pay = client.get(checkout.pay_url(appointment)).text
    assert "Card payments are not set up" in pay
    assert client.post(checkout.pay_url(appointment)).status_code == 409
    assert not CardCheckout.objects.exists()
    payload = event_json("checkout.session.completed", {"id": "cs_1"})
    assert (
        client.post(
            WEBHOOK,
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature(payload),
        ).status_code
        == 400
    )
    assert checkout.holds_release() == 0


def test_a_service_without_a_deposit_is_not_held(
    client, london, sam, consultation, stripe_on
):
    book_online(client, london, consultation)
    assert Appointment.objects.get(source="online").status == "booked"


def test_a_bad_or_expired_pay_link_is_refused(client, london, deposit_consultation):
    assert client.get("/pay/deposit/nonsense/").status_code == 404
    assert client.get("/pay/deposit/nonsense/paid/").status_code == 404


def test_when_stripe_is_down_the_pay_page_says_so_and_keeps_the_hold(
    client, london, sam, deposit_consultation, stripe_on, settings
):
    appointment = held_appointment(client, london, deposit_consultation)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    response = client.post(checkout.pay_url(appointment))
    assert response.status_code == 503
    assert "could not be opened just now" in response.text
    appointment.refresh_from_db()
    assert appointment.status == "awaiting_deposit"


# Refunds of card payments.


def paid_deposit(client, london, deposit_consultation, stripe_on) -> LedgerEntry:
    appointment = held_appointment(client, london, deposit_consultation)
    session_id = open_checkout(client, appointment)
    post_event(client, "checkout.session.completed", stripe_on.pay(session_id))
    return LedgerEntry.objects.get(appointment=appointment)


def test_a_managers_card_refund_goes_through_stripe_and_is_recorded_once(
    client, london, sam, deposit_consultation, stripe_on, manager
):
    paid = paid_deposit(client, london, deposit_consultation, stripe_on)
    refund = checkout.card_refund_request(
        paid=paid, amount_minor=4000, reason="Goodwill", by=manager
    )
    assert stripe_on.refunds[0]["payment_intent"] == paid.provider_reference
    assert stripe_on.refunds[0]["amount"] == 4000
    assert refund.status == "succeeded"
    row = refund.entry
    assert (row.kind, row.method, row.amount_minor, row.reason) == (
        "refund",
        "card_online",
        4000,
        "Goodwill",
    )
    assert row.provider_reference == refund.refund_id
    # Stripe's own word of it later adds nothing.
    obj = {"id": refund.refund_id, "object": "refund", "status": "succeeded"}
    assert post_event(client, "refund.updated", obj).status_code == 200
    charge = {"id": "ch_1", "object": "charge", "refunds": {"data": [obj]}}
    assert post_event(client, "charge.refunded", charge).status_code == 200
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    # No more than was paid.
    with pytest.raises(Exception, match="no more than was paid"):
        checkout.card_refund_request(
            paid=paid, amount_minor=6001, reason="Again", by=manager
        )


def test_a_refund_stripe_later_reports_failed_is_voided_once_in_the_ledger(
    client, london, sam, deposit_consultation, stripe_on, manager
):
    paid = paid_deposit(client, london, deposit_consultation, stripe_on)
    refund = checkout.card_refund_request(
        paid=paid, amount_minor=4000, reason="Goodwill", by=manager
    )
    assert checkout.refundable_minor(paid) == 6000
    failed = {"id": refund.refund_id, "object": "refund", "status": "failed"}
    assert post_event(client, "refund.updated", failed).status_code == 200
    charge = {"id": "ch_1", "object": "charge", "refunds": {"data": [failed]}}
    assert post_event(client, "charge.refunded", charge).status_code == 200

    rows = LedgerEntry.objects.filter(kind="refund").order_by("pk")
    assert [row.amount_minor for row in rows] == [4000, -4000]
    assert rows[1].reverses_id == rows[0].pk
    assert "failed after it succeeded" in rows[1].reason
    assert checkout.refundable_minor(paid) == 10000


def test_a_pending_refund_is_recorded_when_stripe_confirms_it(
    client, london, sam, deposit_consultation, stripe_on, manager, front_desk
):
    paid = paid_deposit(client, london, deposit_consultation, stripe_on)
    stripe_on.refund_status = "pending"
    with pytest.raises(Exception, match="manager"):
        checkout.card_refund_request(
            paid=paid, amount_minor=10000, reason="Cancelled", by=front_desk
        )
    refund = checkout.card_refund_request(
        paid=paid, amount_minor=10000, reason="Cancelled", by=manager
    )
    assert refund.entry is None and not LedgerEntry.objects.filter(kind="refund")
    obj = {"id": refund.refund_id, "object": "refund", "status": "succeeded"}
    assert post_event(client, "refund.updated", obj).status_code == 200
    assert post_event(client, "refund.updated", obj).status_code == 200
    refund.refresh_from_db()
    assert refund.status == "succeeded" and refund.entry.amount_minor == 10000
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    unknown = {"id": "re_not_ours", "object": "refund", "status": "succeeded"}
    assert post_event(client, "refund.updated", unknown).status_code == 400


def test_only_a_card_payment_taken_online_is_refunded_to_the_card(
    booked, front_desk, manager, stripe_on
):
    cash = services.entry_record(
        kind="payment",
        client=booked.client,
        appointment=booked,
        amount_minor=5000,
        method="cash",
        recorded_by=front_desk,
    )
    with pytest.raises(Exception, match="Only a card payment taken online"):
        checkout.card_refund_request(
            paid=cash, amount_minor=100, reason="No", by=manager
        )
    assert not CardRefund.objects.exists() and not stripe_on.refunds


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_deliveries_at_once_write_one_ledger_row(
    london, sam, deposit_consultation, stripe_on, rooms
):
    appointment = held_appointment(BrowserClient(), london, deposit_consultation)
    session_id = open_checkout(BrowserClient(), appointment)
    payload = event_json(
        "checkout.session.completed", stripe_on.pay(session_id), "evt_race"
    )
    start = threading.Barrier(2)
    answers, errors = [], []

    def deliver():
        try:
            start.wait()
            answers.append(
                BrowserClient()
                .post(
                    WEBHOOK,
                    payload,
                    content_type="application/json",
                    HTTP_STRIPE_SIGNATURE=signature(payload),
                )
                .status_code
            )
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and answers == [200, 200]
    assert LedgerEntry.objects.filter(appointment=appointment).count() == 1
    assert json.loads(payload)["id"] == StripeEvent.objects.get().event_id


def test_a_manager_refunds_to_the_card_from_the_appointment_page(
    client, london, sam, deposit_consultation, stripe_on, manager
):
    paid = paid_deposit(client, london, deposit_consultation, stripe_on)
    client.force_login(manager)
    page = client.get(f"/appointments/{paid.appointment_id}/").text
    assert f'href="/payments/{paid.pk}/card-refund/"' in page
    form = client.get(f"/payments/{paid.pk}/card-refund/").text
    assert "Still refundable: £100.00" in form
    typo = client.post(
        f"/payments/{paid.pk}/card-refund/", {"amount_minor": "abc", "reason": "x"}
    )
    assert typo.status_code == 422 and not stripe_on.refunds
    done = client.post(
        f"/payments/{paid.pk}/card-refund/",
        {"amount_minor": "100.00", "reason": "Clinic <b>closed</b>"},
    )
    assert done.status_code == 302
    refund = LedgerEntry.objects.get(kind="refund")
    assert refund.reason == "Clinic <b>closed</b>" and refund.amount_minor == 10000
    page = client.get(f"/appointments/{paid.appointment_id}/").text
    assert "Clinic &lt;b&gt;closed&lt;/b&gt;" in page
    again = client.get(f"/payments/{paid.pk}/card-refund/").text
    assert "refunded in full" in again


# The front desk's deposit request for a phone booking.


def test_the_desk_emails_a_deposit_link_that_opens_checkout(
    client, booked, front_desk, stripe_on, settings
):
    from django.core import mail

    from messaging.outbox import messages_send_due

    client.force_login(front_desk)
    page = client.get(f"/appointments/{booked.pk}/").text
    assert "Email a deposit request (£100.00)" in page
    answer = client.post(f"/appointments/{booked.pk}/deposit/request/", follow=True)
    assert "is on its way to jo@x.test" in answer.text
    request = OutboundMessage.objects.get(kind=MessageKind.DEPOSIT_REQUEST)
    assert request.appointment == booked
    messages_send_due()
    (email,) = [m for m in mail.outbox if "deposit" in m.subject.lower()]
    assert email.to == ["jo@x.test"]
    link = next(
        word for word in email.body.split() if "/pay/deposit/" in word
    ).removeprefix(settings.SITE_URL)
    assert "Deposit: £100.00" in email.body

    client.logout()
    pay_page = client.get(link).text
    assert (
        "Pay the deposit of £100.00 by card" in pay_page and "held for" not in pay_page
    )
    session_id = client.post(link)["Location"].rsplit("/", 1)[-1]
    post_event(client, "checkout.session.completed", stripe_on.pay(session_id))
    booked.refresh_from_db()
    assert booked.status == "booked"
    deposit = LedgerEntry.objects.get(appointment=booked)
    assert (deposit.kind, deposit.method) == ("deposit", "card_online")
    # Paid: no more button, and no second payment from the link.
    client.force_login(front_desk)
    assert (
        "Email a deposit request" not in client.get(f"/appointments/{booked.pk}/").text
    )
    assert "The deposit is paid" in client.get(link).text


def test_without_stripe_keys_the_desk_is_told_why_there_is_no_deposit_link(
    client, booked, front_desk, settings
):
    settings.STRIPE_SECRET_KEY = ""
    client.force_login(front_desk)
    page = client.get(f"/appointments/{booked.pk}/").text
    assert "Email a deposit request" not in page
    assert "Card deposits by email need Stripe set up" in page
    answer = client.post(f"/appointments/{booked.pk}/deposit/request/", follow=True)
    assert "need Stripe set up" in answer.text
    assert not OutboundMessage.objects.filter(kind=MessageKind.DEPOSIT_REQUEST)


def test_no_deposit_link_for_a_client_without_email(
    client, booked, front_desk, stripe_on
):
    Client.objects.filter(pk=booked.client_id).update(email="")
    client.force_login(front_desk)
    page = client.get(f"/appointments/{booked.pk}/").text
    assert "has no email address: add one first" in page
    client.post(f"/appointments/{booked.pk}/deposit/request/")
    assert not OutboundMessage.objects.filter(kind=MessageKind.DEPOSIT_REQUEST)


def test_the_retention_purge_deletes_card_checkouts_and_refunds_with_the_ledger(
    client, london, sam, deposit_consultation, stripe_on, manager
):
    paid = paid_deposit(client, london, deposit_consultation, stripe_on)
    checkout.card_refund_request(paid=paid, amount_minor=100, reason="Part", by=manager)
    with transaction.atomic():
        services.client_ledger_purge(client_ids=[paid.client_id])
    assert not LedgerEntry.objects.exists()
    assert not CardCheckout.objects.exists() and not CardRefund.objects.exists()


def test_the_beat_releases_unpaid_holds_every_minute(
    client, london, sam, deposit_consultation, stripe_on, frozen_now
):
    from payments import tasks
    from smp_clinic.celery import app

    entry = app.conf.beat_schedule["release-unpaid-deposit-holds"]
    assert entry["task"] == tasks.release_unpaid_holds.name
    assert entry["schedule"] == 60.0
    appointment = held_appointment(client, london, deposit_consultation)
    frozen_now.shift(timedelta(minutes=15))
    assert tasks.release_unpaid_holds() == 1
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


def test_pressing_pay_again_returns_to_the_open_checkout(
    client, london, sam, deposit_consultation, stripe_on
):
    appointment = held_appointment(client, london, deposit_consultation)
    first = client.post(checkout.pay_url(appointment))["Location"]
    again = client.post(checkout.pay_url(appointment))["Location"]
    assert first == again and len(stripe_on.sessions) == 1
    assert CardCheckout.objects.get().url == first


class TestOpenTabsClose:
    """Stripe keeps a Checkout Session payable for 24 hours: once the deposit is
    taken another way, or the appointment cancelled, the open tab is expired so the
    client cannot pay twice (found in review)."""

    def open_tab(self, client, london, deposit_consultation):
        appointment = held_appointment(client, london, deposit_consultation)
        return appointment, open_checkout(client, appointment)

    def test_a_deposit_taken_at_the_desk_expires_the_open_tab(
        self,
        client,
        london,
        sam,
        deposit_consultation,
        stripe_on,
        manager,
        django_capture_on_commit_callbacks,
    ):
        appointment, session_id = self.open_tab(client, london, deposit_consultation)
        with django_capture_on_commit_callbacks(execute=True):
            services.entry_record(
                kind="deposit",
                client=appointment.client,
                amount_minor=10000,
                method="cash",
                appointment=appointment,
                recorded_by=manager,
            )
        assert stripe_on.expired == [session_id]

    def test_cancelling_expires_the_open_tab(
        self,
        client,
        london,
        sam,
        deposit_consultation,
        stripe_on,
        front_desk,
        django_capture_on_commit_callbacks,
    ):
        appointment, session_id = self.open_tab(client, london, deposit_consultation)
        with django_capture_on_commit_callbacks(execute=True):
            booking.appointment_cancel(
                appointment=appointment, reason="Client phoned", by=front_desk
            )
        assert stripe_on.expired == [session_id]

    def test_a_tab_paid_after_the_deposit_was_covered_is_recorded_and_flagged(
        self, client, london, sam, deposit_consultation, stripe_on, manager, caplog
    ):
        appointment, session_id = self.open_tab(client, london, deposit_consultation)
        services.entry_record(
            kind="deposit",
            client=appointment.client,
            amount_minor=10000,
            method="cash",
            appointment=appointment,
            recorded_by=manager,
        )
        with caplog.at_level(logging.WARNING, logger="payments.checkout"):
            answer = post_event(
                client, "checkout.session.completed", stripe_on.pay(session_id)
            )
        assert answer.status_code == 200
        assert "beyond what was due" in caplog.text
        methods = LedgerEntry.objects.filter(
            appointment=appointment, kind="deposit"
        ).values_list("method", flat=True)
        assert sorted(methods) == ["card_online", "cash"]
