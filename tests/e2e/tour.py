"""Copy the README tour's screenshots from the browser journeys' latest run.

    make tour    # runs the journeys (test_journeys.py, the phone ones), then this

Each picture is a journey step's screenshot (var/screenshots/), cut to the tablet's
screen height and stored with fewer colours under docs/tour/, named in tour order.
"""

import sys
from pathlib import Path

from PIL import Image

from tests.e2e.screens import SCREENSHOTS, TABLET

DOCS = Path(__file__).resolve().parents[2] / "docs" / "tour"

# (journey, step): the tour in the README's order.
TOUR = [
    ("front_desk_books_a_new_client_through_to_a_course", "consultation-form"),
    ("front_desk_books_a_new_client_through_to_a_course", "today"),
    ("front_desk_books_a_new_client_through_to_a_course", "course-proposal"),
    ("practitioner_decides_records_a_session_and_compares_photos", "suitability"),
    ("practitioner_decides_records_a_session_and_compares_photos", "session-record"),
    ("practitioner_decides_records_a_session_and_compares_photos", "before-after"),
    ("front_desk_fills_a_cancelled_time_from_the_waitlist", "cancelled-and-offered"),
    ("client_confirms_then_cancels_and_the_waitlist_fills_the_time", "waitlist-offer"),
    ("new_client_books_a_consultation_online", "pick-a-time"),
    ("manager_recalls_a_lot_reads_reports_and_the_audit_trail", "lot-recall"),
    ("manager_recalls_a_lot_reads_reports_and_the_audit_trail", "reports"),
    # The client's side, on a phone (test_online_booking.py, test_portal_journeys.py).
    ("online_booking_phone", "times-tomorrow"),
    (
        "a_new_client_answers_the_health_questions_and_signs_on_a_phone",
        "health-questions",
    ),
    ("a_new_client_answers_the_health_questions_and_signs_on_a_phone", "sign-consent"),
    ("a_returning_client_signs_in_by_link_books_moves_and_cancels_a_touch_up", "moved"),
    ("manager_recalls_a_lot_reads_reports_and_the_audit_trail", "clinic-name-and-logo"),
]


def main() -> int:
    DOCS.mkdir(parents=True, exist_ok=True)
    missing = []
    for number, (journey, step) in enumerate(TOUR, start=1):
        found = list(SCREENSHOTS.glob(f"{journey}-[0-9][0-9]-{step}.png"))
        if not found:
            missing.append(f"{journey} / {step}")
            continue
        with Image.open(found[0]) as shot:
            height = min(shot.height, TABLET["height"])
            picture = shot.convert("RGB").crop((0, 0, shot.width, height))
        picture = picture.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        picture.save(DOCS / f"{number:02d}-{step}.png", optimize=True)
    if missing:
        print("Not found (run the journeys first):", *missing, sep="\n  ")
        return 1
    print(f"{len(TOUR)} pictures in {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
