"""What the booking services announce, for the apps above appointments to act on in
the same transaction (core/hooks.py). Each is called with keyword arguments only."""

from core.hooks import Hook

# A new appointment is booked (front desk, API, online, course, waitlist). confirm:
# False where the caller books several at once and confirms them together (a course).
appointment_booked = Hook("appointment_booked", "appointment, confirm")
# An appointment moved (its old messages no longer apply): `was` is the start it had.
appointment_moved = Hook("appointment_moved", "appointment, was")
# An appointment is cancelled (by_client: the client cancelled it themselves, not the
# clinic), or the client did not come.
appointment_cancelled = Hook("appointment_cancelled", "appointment, by_client")
appointment_missed = Hook("appointment_missed", "appointment")
# An appointment is completed: its treatment record and course move on.
appointment_completed = Hook("appointment_completed", "appointment")
# A freed time is offered to waiting clients; or the offered time has been taken.
waitlist_offered = Hook("waitlist_offered", "offers, now")
waitlist_time_gone = Hook("waitlist_time_gone", "offers, now")
# A new client sent scalp photos with their online consultation booking: `photos`
# is [(view, clients.photos.CleanPhoto)], re-encoded, EXIF gone; their photo consent
# is recorded. Treatments files them with the client's photos.
online_booking_photos_sent = Hook("online_booking_photos_sent", "appointment, photos")
# Online booking and card deposits (payments, when Stripe is set up). Whether an
# online booking of `service` pays its deposit by card straight away (listeners
# answer True or False: held if any says True); and, for an appointment held for it,
# where the visitor pays (listeners answer a URL).
online_deposit_by_card = Hook("online_deposit_by_card", "service")
online_deposit_pay_url = Hook("online_deposit_pay_url", "appointment")
# The front desk asks the client to pay the deposit by card (payments): messaging
# emails the link (appointments/deposit_links.py).
deposit_requested = Hook("deposit_requested", "appointment")
