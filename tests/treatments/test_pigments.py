"""Every pigment on skin is patch-tested and usable: patch tests cover pigment
products, and lots past expiry or shelf life, quarantined or recalled are refused and
left out of the pickers."""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from appointments import services as booking
from clients import services as client_services
from clients.models import PatchTest
from clients.selectors import patch_test_uncovered
from pigments.models import LotStatus, Pigment, PigmentLot
from tests.conftest import NOW, make_treatment_ready
from treatments import services

pytestmark = pytest.mark.usefixtures("frozen_now")

DAY = date(2026, 3, 3)
HOSTILE = '<b hx-get="/x" hx-trigger=load>"{{x}}\'</b>'


@pytest.fixture
def other_pigment(db):
    return Pigment.objects.create(brand="Perma Blend", shade="SMP Medium")


@pytest.fixture
def other_lot(other_pigment):
    return PigmentLot.objects.create(
        pigment=other_pigment, lot_number="M26001", expires_on=date(2030, 1, 1)
    )


@pytest.fixture
def held(make_plan, london, front_desk, smp_session):
    """Session 1 of a course, checked in, booked as a service that needs a valid
    patch test (the flag set after booking: the booking gate is not under test)."""
    plan = make_plan()
    starts_at = datetime.combine(DAY, time(9, 15), london.zone)
    services.course_book(
        plan=plan, starts={1: starts_at}, location=london, booked_by=front_desk
    )
    smp_session.needs_patch_test = True
    smp_session.save()
    session = plan.sessions.get(number=1)
    with time_machine.travel(starts_at, tick=False):
        booking.appointment_check_in(appointment=session.appointment, by=front_desk)
    return session


def passed_test(client, lots, by, *, applied_at=None):
    applied_at = applied_at or NOW - timedelta(days=5)
    test = client_services.patch_test_apply(
        client=client, lots=lots, applied_at=applied_at, notes="", by=by
    )
    return client_services.patch_test_read(
        patch_test=test,
        result=PatchTest.Result.PASSED,
        read_at=applied_at + timedelta(hours=48),
        notes="",
        by=by,
    )


def record(session, lots, by):
    return services.session_record(
        session=session,
        zones={"crown": "medium"},
        pigments=[(lot, "") for lot in lots],
        by=by,
    )


class TestPatchTestsCoverPigments:
    def test_a_session_may_use_only_pigments_a_passed_patch_test_covered(
        self, held, jo, lot, other_lot, practitioner
    ):
        passed_test(jo, [lot], practitioner)
        with pytest.raises(
            ValidationError, match="covers Perma Blend SMP Medium: patch test it"
        ) as refused:
            record(held, [lot, other_lot], practitioner)
        assert "SMP Dark" not in str(refused.value)
        held.refresh_from_db()
        assert not held.is_recorded
        assert record(held, [lot], practitioner).is_recorded

    def test_another_lot_of_a_tested_pigment_is_covered(
        self, held, jo, lot, pigment, practitioner
    ):
        passed_test(jo, [lot], practitioner)
        newer = PigmentLot.objects.create(
            pigment=pigment, lot_number="L26009", expires_on=date(2030, 1, 1)
        )
        assert record(held, [newer], practitioner).is_recorded

    def test_a_failed_pending_or_stale_patch_test_covers_nothing(
        self, held, jo, lot, practitioner, settings
    ):
        on = held.appointment.starts_at
        failed = client_services.patch_test_apply(
            client=jo,
            lots=[lot],
            applied_at=NOW - timedelta(days=5),
            notes="",
            by=practitioner,
        )
        client_services.patch_test_read(
            patch_test=failed,
            result=PatchTest.Result.FAILED,
            read_at=NOW - timedelta(days=3),
            notes="",
            by=practitioner,
        )
        client_services.patch_test_apply(
            client=jo,
            lots=[lot],
            applied_at=NOW - timedelta(days=1),
            notes="",
            by=practitioner,
        )
        assert patch_test_uncovered(jo, [lot.pigment], on) == [lot.pigment]
        passed_test(jo, [lot], practitioner, applied_at=NOW - timedelta(days=40))
        assert patch_test_uncovered(jo, [lot.pigment], on) == []
        settings.PATCH_TEST_VALID_DAYS = 30
        assert patch_test_uncovered(jo, [lot.pigment], on) == [lot.pigment]
        with pytest.raises(ValidationError, match="30 days before this session"):
            record(held, [lot], practitioner)

    def test_a_signed_waiver_covers_every_pigment(
        self, held, jo, lot, other_lot, practitioner, consent_texts
    ):
        waiver = client_services.consent_sign(
            client=jo,
            text=consent_texts["patch_test_waiver"],
            typed_name="Jo Bloggs",
            by=practitioner,
        )
        client_services.patch_test_waive(
            client=jo, waiver=waiver, notes="", by=practitioner
        )
        # consent_texts published a second treatment consent: Jo signs it too.
        make_treatment_ready(jo, by=practitioner)
        assert record(held, [lot, other_lot], practitioner).is_recorded

    def test_a_service_that_needs_no_patch_test_takes_any_pigment(
        self, held, lot, practitioner, smp_session
    ):
        smp_session.needs_patch_test = False
        smp_session.save()
        assert record(held, [lot], practitioner).is_recorded


class TestUnusableLots:
    def test_a_lot_past_its_shelf_life_after_opening_is_refused(
        self, held, jo, lot, pigment, practitioner
    ):
        passed_test(jo, [lot], practitioner)
        pigment.shelf_life_days = 365
        pigment.save()
        lot.opened_on = date(2025, 3, 1)
        lot.save()
        assert lot.use_by() == date(2026, 3, 1)
        with pytest.raises(ValidationError, match="past its 365-day shelf life"):
            record(held, [lot], practitioner)
        with pytest.raises(ValidationError, match="past its 365-day shelf life"):
            client_services.patch_test_apply(
                client=jo, lots=[lot], applied_at=NOW, notes="", by=practitioner
            )
        lot.opened_on = date(2025, 3, 3)
        lot.save()
        assert record(held, [lot], practitioner).is_recorded

    @pytest.mark.parametrize("status", [LotStatus.QUARANTINED, LotStatus.RECALLED])
    def test_a_quarantined_or_recalled_lot_is_refused_from_then_on(
        self, held, jo, lot, practitioner, manager, status
    ):
        passed_test(jo, [lot], practitioner)
        services.lot_status_set(
            lot=lot, status=status, reason="Supplier notice 42", by=manager
        )
        lot.refresh_from_db()
        assert lot.status_changed_by == manager
        with pytest.raises(ValidationError, match="Supplier notice 42"):
            record(held, [lot], practitioner)
        with pytest.raises(ValidationError, match="cannot be used"):
            client_services.patch_test_apply(
                client=jo, lots=[lot], applied_at=NOW, notes="", by=practitioner
            )

    def test_a_lot_recalled_after_the_session_does_not_block_correcting_it(
        self, held, jo, lot, practitioner, manager
    ):
        passed_test(jo, [lot], practitioner)
        record(held, [lot], practitioner)
        services.lot_status_set(
            lot=lot, status=LotStatus.RECALLED, reason="Supplier", by=manager
        )
        assert record(held, [lot], practitioner).pigments.get().lot == lot

    def test_a_status_needs_a_reason_and_a_recalled_lot_stays_recalled(
        self, lot, manager
    ):
        with pytest.raises(ValidationError, match="Say why"):
            services.lot_status_set(
                lot=lot, status=LotStatus.QUARANTINED, reason="  ", by=manager
            )
        services.lot_status_set(
            lot=lot, status=LotStatus.RECALLED, reason="Recall", by=manager
        )
        with pytest.raises(ValidationError, match="cannot be used again"):
            services.lot_status_set(
                lot=lot, status=LotStatus.IN_USE, reason="", by=manager
            )


@pytest.fixture
def stock(pigment, lot, expired_lot, manager):
    """Beside `lot`: one expired, one past shelf life, one quarantined, one
    recalled, and one in date with a hostile number."""
    pigment.shelf_life_days = 30
    pigment.save()
    PigmentLot.objects.create(
        pigment=pigment,
        lot_number="STALE-1",
        expires_on=date(2030, 1, 1),
        opened_on=date(2025, 12, 1),
    )
    quarantined = PigmentLot.objects.create(
        pigment=pigment, lot_number="QUAR-1", expires_on=date(2030, 1, 1)
    )
    services.lot_status_set(
        lot=quarantined, status=LotStatus.QUARANTINED, reason="Odd smell", by=manager
    )
    recalled = PigmentLot.objects.create(
        pigment=pigment, lot_number="RECALL-1", expires_on=date(2030, 1, 1)
    )
    services.lot_status_set(
        lot=recalled, status=LotStatus.RECALLED, reason=HOSTILE, by=manager
    )
    hostile = PigmentLot.objects.create(
        pigment=pigment, lot_number=HOSTILE[:64], expires_on=date(2030, 1, 1)
    )
    return {"recalled": recalled, "hostile": hostile}


class TestLotPickers:
    def test_the_session_picker_offers_only_usable_lots(
        self, client, held, practitioner, stock
    ):
        client.force_login(practitioner)
        page = client.get(reverse("session_record", args=[held.pk])).text
        assert "L26001A" in page
        for refused in ("OLD-1", "STALE-1", "QUAR-1", "RECALL-1"):
            assert refused not in page
        assert HOSTILE not in page
        assert "&lt;b hx-get=&quot;/x&quot;" in page
        response = client.post(
            reverse("session_record", args=[held.pk]),
            {"zone_crown": "medium", "lot_1": stock["recalled"].pk},
        )
        assert response.status_code == 422
        assert "Select a valid choice" in response.text

    def test_a_recorded_lot_stays_on_edit_marked_with_why(
        self, client, held, jo, lot, practitioner, manager, stock
    ):
        passed_test(jo, [lot], practitioner)
        record(held, [lot], practitioner)
        services.lot_status_set(
            lot=lot, status=LotStatus.RECALLED, reason=HOSTILE, by=manager
        )
        client.force_login(practitioner)
        page = client.get(reverse("session_record", args=[held.pk])).text
        assert "L26001A" in page
        assert "already recorded; now recalled: &lt;b hx-get" in page
        assert "RECALL-1" not in page
        assert HOSTILE not in page

    def test_the_patch_test_picker_offers_only_usable_lots(
        self, client, jo, practitioner, stock
    ):
        client.force_login(practitioner)
        page = client.get(reverse("patch_test_new", args=[jo.pk])).text
        assert "L26001A" in page
        for refused in ("OLD-1", "STALE-1", "QUAR-1", "RECALL-1"):
            assert refused not in page
        assert HOSTILE not in page


class TestLotRecall:
    @pytest.fixture
    def exposed(self, held, jo, lot, practitioner, make_client):
        """Jo had the lot in a session; Pat only in a patch test (and wants no
        reminders); Lee in a patch test too, with no email address."""
        passed_test(jo, [lot], practitioner)
        record(held, [lot], practitioner)
        pat = make_client()
        pat.email, pat.reminder_consent, pat.last_name = "pat@x.test", False, HOSTILE
        pat.save()
        passed_test(pat, [lot], practitioner)
        lee = make_client()
        passed_test(lee, [lot], practitioner)
        return {"jo": jo, "pat": pat, "lee": lee}

    def test_lots_used_in_patch_tests_are_in_the_recall_its_csv_and_passport(
        self, client, manager, practitioner, lot, exposed
    ):
        pat = exposed["pat"]
        client.force_login(manager)
        page = client.get(reverse("lot_recall", args=[lot.pk])).text
        assert "1 session · 3 patch tests" in page
        assert "Clients to contact (3)" in page
        assert "no email on file: telephone" in page
        assert HOSTILE not in page
        rows = client.get(reverse("lot_recall", args=[lot.pk]), {"format": "csv"})
        kinds = [row.split(",")[3] for row in rows.text.splitlines()[1:]]
        assert kinds.count("patch test") == 3 and kinds.count("1") == 1
        client.force_login(practitioner)
        passport = client.get(reverse("ink_passport", args=[pat.pk])).text
        assert "Patch test" in passport and "L26001A" in passport

    def test_a_patch_test_withdrawn_as_a_mistake_is_in_no_recall_nor_passport(
        self, client, manager, practitioner, lot, exposed, make_client
    ):
        """Recorded against the wrong client: that client never had the lot."""
        wrong = make_client()
        wrong.last_name = "Mistaken"
        wrong.save()
        mistake = passed_test(wrong, [lot], practitioner)
        client_services.patch_test_withdraw(
            patch_test=mistake, reason="Recorded on the wrong client", by=practitioner
        )
        client.force_login(manager)
        page = client.get(reverse("lot_recall", args=[lot.pk])).text
        assert "1 session · 3 patch tests" in page
        assert "Clients to contact (3)" in page
        assert "Mistaken" not in page
        client.force_login(practitioner)
        passport = client.get(reverse("ink_passport", args=[wrong.pk])).text
        assert "L26001A" not in passport

    def test_a_manager_recalls_a_lot_and_every_client_is_emailed_once(
        self, client, manager, lot, exposed, mailoutbox
    ):
        from clients.selectors import client_timeline
        from messaging.outbox import messages_send_due

        client.force_login(manager)
        refused = client.post(reverse("lot_notify", args=[lot.pk]), follow=True)
        assert "Quarantine or recall the lot before" in refused.text
        client.post(
            reverse("lot_status", args=[lot.pk]),
            {"status": "recalled", "reason": "Supplier recall " + HOSTILE},
        )
        lot.refresh_from_db()
        assert lot.status == "recalled" and lot.status_changed_by == manager
        page = client.get(reverse("lot_recall", args=[lot.pk])).text
        assert "Status: Recalled" in page and HOSTILE not in page
        done = client.post(reverse("lot_notify", args=[lot.pk]), follow=True)
        assert "Wrote 3 recall notices" in done.text
        again = client.post(reverse("lot_notify", args=[lot.pk]), follow=True)
        assert "Wrote 0 recall notices" in again.text
        messages_send_due()
        sent = {m.to[0]: m for m in mailoutbox}
        # Pat wants no reminders, but a recall is about their safety.
        assert set(sent) == {"jo@x.test", "pat@x.test"}
        email = sent["pat@x.test"]
        assert "Perma Blend SMP Dark, lot L26001A" in email.body
        assert HOSTILE not in email.alternatives[0][0]
        for person, status in (
            (exposed["jo"], "sent"),
            (exposed["pat"], "sent"),
            (exposed["lee"], "cancelled"),  # no email address: telephone
        ):
            events = client_timeline(user=manager, client=person)
            assert f"Pigment lot recall notice: {status}" in [e.title for e in events]


def test_the_demo_has_a_client_whose_patch_test_misses_a_pigment(
    sam, rooms, smp_session, consent_texts, lot, other_lot, manager
):
    from treatments.demo import seed_untested_pigment_client

    smp_session.needs_patch_test = True
    smp_session.save()
    robin = seed_untested_pigment_client(
        lots=[lot, other_lot], manager=manager, today=DAY
    )
    session = robin.plans.get().sessions.get(number=1)
    with pytest.raises(ValidationError, match="covers Perma Blend SMP Medium"):
        record(session, [other_lot], manager)
    assert record(session, [lot], manager).is_recorded


def test_a_recall_notice_is_never_sent_to_a_client_opted_out_of_all_email(
    jo, lot, practitioner, manager, mailoutbox
):
    from messaging.outbox import messages_send_due

    jo.email_opt_out = True
    jo.save()
    passed_test(jo, [lot], practitioner)
    services.lot_status_set(
        lot=lot, status=LotStatus.RECALLED, reason="Supplier", by=manager
    )
    assert services.lot_recall_notify(lot=lot) == 1
    messages_send_due()
    assert mailoutbox == []
    notice = jo.messages.get(kind="lot_recall")
    assert notice.status == "cancelled" and "opted out" in notice.last_error
