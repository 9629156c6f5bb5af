"""The clinic's own words in client emails: which texts there are, the placeholders
each may use, and filling them in.

A text is plain text with placeholders such as {first_name}. Only plain names are
allowed (no attribute or index lookups, no format specs), so a text can never reach
into the objects behind an email; everything else in an email (the greeting, when and
where, the signed links, the footer) stays in templates/emails/.
"""

import string
from dataclasses import dataclass

APPOINTMENT_PLACEHOLDERS = {
    "first_name": "the client's first name",
    "clinic": "the clinic's name",
    "service": "the service booked",
    "practitioner": "the practitioner's name",
    "date": "the appointment's date, e.g. Wed 4 Mar",
    "time": "the appointment's start, e.g. 13:30",
    "location": "the location's name",
}
MOVED_PLACEHOLDERS = {
    **APPOINTMENT_PLACEHOLDERS,
    "old_date": "the date the client had before the move, e.g. Tue 3 Mar",
    "old_time": "the time the client had before the move, e.g. 10:00",
}
COURSE_PLACEHOLDERS = {
    "first_name": "the client's first name",
    "clinic": "the clinic's name",
    "service": "the service booked",
    "practitioner": "the practitioner's name",
    "location": "the location's name",
    "sessions": "the number of sessions in the course",
    "booked": "how many sessions are listed, e.g. 3",
    "date": "the first listed session's date, e.g. Wed 4 Mar",
}
PLAN_PLACEHOLDERS = {
    "first_name": "the client's first name",
    "clinic": "the clinic's name",
    "location": "the location's name",
    "sessions": "the number of sessions in the course",
    "gap": "the gap between sessions, e.g. 10 to 14 days",
}
PREPARATION_PLACEHOLDERS = {
    **APPOINTMENT_PLACEHOLDERS,
    "minoxidil_days": "the days to pause minoxidil (Set-up → Messages), e.g. 7",
}
CLIENT_PLACEHOLDERS = {
    "first_name": "the client's first name",
    "clinic": "the clinic's name",
}

# What the set-up page fills in to show a text as a client would read it.
EXAMPLE_VALUES = {
    "first_name": "Jo",
    "clinic": "the clinic",
    "service": "SMP session",
    "practitioner": "Sam Okafor",
    "date": "Wed 4 Mar",
    "time": "13:30",
    "location": "Soho",
    "sessions": "3",
    "gap": "10 to 14 days",
    "pigment": "Perma Blend SMP Dark",
    "lot": "L26001A",
    "minoxidil_days": "7",
    "old_date": "Tue 3 Mar",
    "old_time": "10:00",
    "booked": "3",
}

# Every preparation note asks for this; the shaving advice is only where the head is
# shaved for the work (DOMAIN.md, "Before a session").
_BEFORE_EVERY_SESSION = (
    "- Pause topical minoxidil (Regaine, Rogaine) for {minoxidil_days} days before "
    "your session, and for {minoxidil_days} days after it.\n"
    "- No alcohol, aspirin or other blood thinners the day before, unless your "
    "doctor says otherwise.\n"
)


@dataclass(frozen=True)
class TextKind:
    label: str
    placeholders: dict[str, str]
    subject: str
    body: str


TEXTS = {
    "confirmation": TextKind(
        "Booking confirmation",
        APPOINTMENT_PLACEHOLDERS,
        "Booked: {service} on {date} at {time}",
        "Your appointment is booked. The attached calendar file adds it to your "
        "calendar.",
    ),
    "moved": TextKind(
        "Appointment moved",
        MOVED_PLACEHOLDERS,
        "Your appointment has moved: {service} is now {date} at {time}",
        "Your appointment has moved. It is no longer on {old_date} at {old_time}: "
        "it is now on {date} at {time}. The attached calendar file updates the event "
        "in your calendar.",
    ),
    "course_confirmation": TextKind(
        "Course booking confirmation",
        COURSE_PLACEHOLDERS,
        "Booked: your {service} course, {booked} sessions from {date}",
        "Your SMP course is booked: the sessions are listed below. The attached "
        "calendar file adds every one of them to your calendar.",
    ),
    "cancelled": TextKind(
        "Appointment cancelled by the clinic",
        APPOINTMENT_PLACEHOLDERS,
        "Your appointment is cancelled: {service} on {date} at {time}",
        "We are sorry: we have had to cancel your appointment on {date} at {time}. "
        "Please book another time that suits you, or call {location} and we will "
        "find one with you. The attached calendar file removes the event from your "
        "calendar.",
    ),
    "cancelled_by_client": TextKind(
        "Appointment cancelled by the client",
        APPOINTMENT_PLACEHOLDERS,
        "Your appointment is cancelled: {service} on {date} at {time}",
        "Your appointment on {date} at {time} is cancelled, as you asked. The "
        "attached calendar file removes the event from your calendar. We hope to see "
        "you another time.",
    ),
    "preparation": TextKind(
        "Preparation before a treatment (shaved head)",
        PREPARATION_PLACEHOLDERS,
        "Getting ready for your {service} on {date}",
        "Your {service} is coming up. To get the best result:\n\n"
        "- Shave your head 24 to 48 hours before (not on the day).\n"
        + _BEFORE_EVERY_SESSION
        + "- Come with a clean, dry scalp: no oils, creams or styling products.\n"
        "- Eat beforehand and bring something to listen to: a session takes a few "
        "hours.",
    ),
    "preparation_density": TextKind(
        "Preparation before a treatment (density behind longer hair)",
        PREPARATION_PLACEHOLDERS,
        "Getting ready for your {service} on {date}",
        "Your {service} is coming up. We add density between your own hairs, so "
        "there is no need to shave: come with your hair as you usually wear it, "
        "washed and dry. To get the best result:\n\n"
        + _BEFORE_EVERY_SESSION
        + "- No oils, creams, sprays or hair fibres on the day.\n"
        "- Eat beforehand and bring something to listen to: a session takes a few "
        "hours.",
    ),
    "preparation_scar": TextKind(
        "Preparation before a treatment (scar camouflage)",
        PREPARATION_PLACEHOLDERS,
        "Getting ready for your {service} on {date}",
        "Your {service} is coming up. We work on the scar and the skin around it; "
        "there is no need to shave unless we agreed a length at your consultation. "
        "To get the best result:\n\n"
        + _BEFORE_EVERY_SESSION
        + "- Come with a clean, dry scalp: no oils, creams or styling products.\n"
        "- Tell us if the scar has been treated or has changed since we saw it.",
    ),
    "reminder": TextKind(
        "Appointment reminder",
        APPOINTMENT_PLACEHOLDERS,
        "Reminder: {service} {date} at {time}",
        "A reminder of your appointment:",
    ),
    "course_nudge": TextKind(
        "Next course session to book",
        PLAN_PLACEHOLDERS,
        "Your next SMP session is not booked yet",
        "Your SMP course builds density over {sessions} sessions, {gap} apart. Your "
        "next session is not booked yet: reply to this email or call {location} and "
        "we will find a time that keeps your course on track.",
    ),
    "check_up": TextKind(
        "Check-up recall (permanent SMP)",
        PLAN_PLACEHOLDERS,
        "Time for your SMP check-up",
        "It has been a while since your SMP course. A short check-up lets us see how "
        "the pigment has settled and whether anything needs attention.",
    ),
    "fade_check": TextKind(
        "Fade check recall (temporary SMP)",
        PLAN_PLACEHOLDERS,
        "Time for a fade check",
        "Temporary SMP fades gradually as the pigment is absorbed. A short fade check "
        "now lets us refresh it before it looks patchy, and no sooner than it needs "
        "(refreshing too often over-covers).",
    ),
    "touch_up": TextKind(
        "Touch-up recall (permanent SMP)",
        PLAN_PLACEHOLDERS,
        "Time for an SMP touch-up",
        "Permanent SMP softens over the years with sun and skin renewal. Most clients "
        "have a touch-up every few years to bring back the crisp, fresh look: it is "
        "one shorter session.",
    ),
    "waitlist_offer": TextKind(
        "Waitlist: a time offered",
        APPOINTMENT_PLACEHOLDERS,
        "A time for your {service}: {date} at {time}",
        "Good news: a time has come free for your {service} with {practitioner} "
        "at {location}, on {date} at {time}.\n\n"
        "We have offered it to the few clients waiting for it, and the first to "
        "accept has it. If you would like it, press the button below.",
    ),
    "waitlist_gone": TextKind(
        "Waitlist: the time has gone",
        APPOINTMENT_PLACEHOLDERS,
        "The {date} {time} time has gone",
        "The time we offered you on {date} at {time} has been taken by another "
        "client. You are still on our waitlist: we will write again when another "
        "time comes free.",
    ),
    "deposit_request": TextKind(
        "Deposit request (card)",
        APPOINTMENT_PLACEHOLDERS,
        "Your deposit for {service} on {date}",
        "Please pay the deposit for your {service} with {practitioner} at "
        "{location} on {date} at {time} by card, with the button below. You pay on "
        "Stripe's secure page: your card details never reach us.",
    ),
    "ink_passport": TextKind(
        "Ink passport",
        CLIENT_PLACEHOLDERS,
        "Your ink passport",
        "Your ink passport: every pigment used on you at {clinic}, with its label "
        "data. Keep it for any doctor, dermatologist or other artist who asks what "
        "is in your skin.",
    ),
    "document": TextKind(
        "Receipt or invoice",
        {
            **CLIENT_PLACEHOLDERS,
            "document": "the document and its number, e.g. receipt R-0001-000042",
        },
        "Your {document} from {clinic}",
        "Please find your {document} attached, as a PDF. Thank you for visiting "
        "{clinic}.",
    ),
    "lot_recall": TextKind(
        "Pigment lot recall notice",
        {
            **CLIENT_PLACEHOLDERS,
            "pigment": "the pigment's brand and shade",
            "lot": "the lot (batch) number",
        },
        "Important: a pigment used on you has been withdrawn",
        "{pigment}, lot {lot}, was used on you at {clinic} and has since been "
        "withdrawn from use. Most people notice nothing. If the treated skin is red, "
        "swollen, itchy, raised or painful, or anything about it worries you, please "
        "call us and see your doctor. We will gladly check it with you.",
    ),
}


# The text message of each kind sent by SMS too (messaging/outbox.py SMS_KINDS): the
# same placeholders as its email. The link, where the email has one, and "Reply STOP
# to opt out" are added after it. Short on purpose: 160 GSM-7 characters make one
# segment, and a single emoji or curly quote halves that (UCS-2).
SMS_TEXTS = {
    "confirmation": "{clinic}: your {service} is booked for {date} at {time}, "
    "{location}.",
    "moved": "{clinic}: your {service} has moved from {old_date} {old_time} to "
    "{date} at {time}, {location}.",
    "course_confirmation": "{clinic}: your {service} course is booked, {booked} "
    "sessions from {date}. The dates are in our email.",
    "cancelled": "{clinic}: sorry, we have had to cancel your {service} on {date} at "
    "{time}. Please book again or call {location}.",
    "cancelled_by_client": "{clinic}: your {service} on {date} at {time} is "
    "cancelled, as you asked.",
    "reminder": "{clinic}: a reminder of your {service} on {date} at {time}, "
    "{location}.",
    "course_nudge": "{clinic}: your next SMP session is not booked yet. Call "
    "{location} to keep your course on track.",
    "check_up": "{clinic}: time for your SMP check-up. Call {location} to book.",
    "fade_check": "{clinic}: time for a fade check of your SMP. Call {location} to "
    "book.",
    "touch_up": "{clinic}: time for an SMP touch-up. Call {location} to book.",
    "waitlist_offer": "{clinic}: a time has come free for your {service}: {date} at "
    "{time}, {location}. The first to accept has it.",
    "waitlist_gone": "{clinic}: the {date} {time} time has been taken. You are still "
    "on our waitlist.",
    "deposit_request": "{clinic}: please pay the deposit for your {service} on "
    "{date} at {time}: the link is in our email.",
}


class TextError(ValueError):
    pass


def placeholders_check(text: str, allowed: dict[str, str]) -> None:
    """Raise TextError naming what is wrong with the text's placeholders."""
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:
        raise TextError(
            "A brace is not closed. Placeholders look like {first_name}; write {{ "
            "or }} for a brace itself."
        ) from None
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "")
            shown += (f":{spec}" if spec else "") + "}"
            usable = ", ".join("{" + key + "}" for key in allowed)
            raise TextError(f"{shown} is not a placeholder here. You can use {usable}.")


def fill(text: str, values: dict[str, str]) -> str:
    """The text with its placeholders filled in. A text that fails the check (one
    edited outside the app) comes back as written rather than failing the email."""
    try:
        placeholders_check(text, values)
    except TextError:
        return text
    return text.format_map(values)
