from celery import shared_task

from payments.checkout import holds_release


@shared_task
def release_unpaid_holds() -> int:
    """Every minute: the online bookings whose deposit was not paid in time are
    cancelled and their time offered to the waitlist."""
    return holds_release()
