"""What a transaction reads from its own uncommitted change is not left in the cache
when it rolls back (core.cache.changed_here): the cache used to keep it, and serve it
for minutes, as if it had happened."""

from datetime import UTC, datetime

import pytest
from django.db import transaction

from appointments import booking_cache, selectors
from appointments.models import Appointment
from core.backends import StaffBackend
from messaging.models import MessageSettings
from messaging.selectors import message_settings

pytestmark = pytest.mark.usefixtures("frozen_now", "rooms")

TEN = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class RolledBack(Exception):
    pass


def test_a_rolled_back_rename_is_not_the_signed_in_user(front_desk):
    backend = StaffBackend()
    name = backend.get_user(front_desk.pk).first_name  # cached
    with pytest.raises(RolledBack), transaction.atomic():
        front_desk.first_name = "Uncommitted"
        front_desk.save()
        # The transaction sees its own change...
        assert backend.get_user(front_desk.pk).first_name == "Uncommitted"
        raise RolledBack
    # ...and once rolled back, nobody does.
    assert backend.get_user(front_desk.pk).first_name == name
    # Outside a transaction the user is cached again as before.
    assert backend.get_user(front_desk.pk).first_name == name


def test_a_rolled_back_retirement_leaves_the_service_bookable(consultation, sam):
    booking_cache.service_and_practitioner_or_404(consultation.pk, sam.pk)
    with pytest.raises(RolledBack), transaction.atomic():
        consultation.is_active = False
        consultation.save()
        service, _ = booking_cache.service_and_practitioner_or_404(
            consultation.pk, sam.pk
        )
        assert not service.is_active
        raise RolledBack
    service, _ = booking_cache.service_and_practitioner_or_404(consultation.pk, sam.pk)
    assert service.is_active


def test_rolled_back_message_timing_is_not_used(db):
    before = message_settings()
    with pytest.raises(RolledBack), transaction.atomic():
        row = MessageSettings.objects.get(pk=1)
        row.preparation_hours = before.preparation_hours + 5
        row.save()
        assert message_settings().preparation_hours == before.preparation_hours + 5
        raise RolledBack
    assert message_settings().preparation_hours == before.preparation_hours


def test_a_rolled_back_booking_does_not_take_a_served_free_time(
    consultation, sam, jo, london
):
    def served():
        _, found = selectors.served_availability(
            service_id=consultation.pk, first_day=TEN.date(), days=1
        )
        return {slot.start for slot in found.slots}

    assert TEN in served()
    with pytest.raises(RolledBack), transaction.atomic():
        Appointment.objects.create(
            client=jo,
            service=consultation,
            practitioner=sam,
            location=london,
            starts_at=TEN,
            ends_at=TEN.replace(hour=11),
            busy_starts_at=TEN,
            busy_ends_at=TEN.replace(hour=11),
        )
        assert TEN not in served()  # what this transaction sees, read afresh
        raise RolledBack
    assert TEN in served()


def test_a_failing_invalidation_after_commit_lets_the_later_callbacks_run(
    transactional_db, caplog
):
    """Django logs a robust callback that raised by its __qualname__; an AfterCommit
    without one made the logging raise, after the commit, and dropped the callbacks
    queued after it."""
    from core.cache import AfterCommit

    def invalidate():
        raise ConnectionError("the cache refused the write")

    ran = []
    with transaction.atomic():
        transaction.on_commit(AfterCommit(["key"], invalidate), robust=True)
        transaction.on_commit(lambda: ran.append("after"), robust=True)
    assert ran == ["after"]
    assert "invalidate" in caplog.text
