"""What the treatment services announce, for the apps above treatments to act on in
the same transaction (core/hooks.py). Each is called with keyword arguments only."""

from core.hooks import Hook

# Sessions of a course are booked together (appointments: in order): one
# confirmation lists them all.
course_booked = Hook("course_booked", "plan, appointments")
# A course is complete: its recalls (touch-up, fade checks) are due in months.
plan_completed = Hook("plan_completed", "plan, location, now")
# A course session is done and the next one is not booked yet.
course_next_session_unbooked = Hook(
    "course_next_session_unbooked", "plan, after, location, now"
)
# A touch-up outside a course is done (plan: the client's latest, or None).
touch_up_completed = Hook("touch_up_completed", "appointment, plan, now")
# A plan is cancelled: nothing more is due for it.
plan_cancelled = Hook("plan_cancelled", "plan")
# Tell every client who received a quarantined or recalled lot; listeners return how
# many notices they wrote.
lot_recall_requested = Hook("lot_recall_requested", "lot, clients")
# Send the client their ink passport; listeners return the message they wrote.
ink_passport_requested = Hook("ink_passport_requested", "client")
# How many recall notices of this lot were written (the lot's recall page).
lot_recall_notices_count = Hook("lot_recall_notices_count", "lot")
