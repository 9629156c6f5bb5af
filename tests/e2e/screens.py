"""Where the browser tests' screenshots go and the screen a journey runs on: shared
by the tests and by the README tour (tour.py), which runs without Django."""

import os
from pathlib import Path

# Under VAR_DIR, as the settings put everything the app writes, so that two test runs
# side by side (CI runs PostgreSQL and SQLite at once) keep their pictures apart.
SCREENSHOTS = (
    Path(os.environ.get("VAR_DIR", Path(__file__).resolve().parents[2] / "var"))
    / "screenshots"
)

# A tablet held upright (iPad Air): the width a practitioner's tablet shows.
TABLET = {"width": 820, "height": 1180}
