"""Where the browser tests' screenshots go and the screen a journey runs on: shared
by the tests and by the README tour (tour.py), which runs without Django."""

from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

# A tablet held upright (iPad Air): the width a practitioner's tablet shows.
TABLET = {"width": 820, "height": 1180}
