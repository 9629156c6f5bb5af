"""The icons the pages use: Bootstrap Icons (MIT, static/vendor/bootstrap-icons/
LICENSE), only these, as one SVG sprite that every page references and browsers
keep (no icon font, no CDN, nothing inline for the CSP to refuse).

An icon is always beside words or has its own label: it helps scanning, it never
carries meaning alone. `{% icon "calendar3" %}` (core.templatetags.icons) draws one;
`python manage.py icon_sprite PATH` rebuilds the sprite from the npm package
(`npm pack bootstrap-icons@1.13.2`, unpacked at PATH) after this list changes.
"""

import re
from pathlib import Path

ICONS = (
    # The menus.
    "house",
    "calendar3",
    "people",
    "clock",
    "envelope",
    "search",
    "hourglass-split",
    "gear",
    "shield-check",
    "bar-chart",
    "person-circle",
    "box-arrow-right",
    # Actions.
    "calendar-plus",
    "box-arrow-in-right",
    "pencil-square",
    "check2",
    "check2-circle",
    "x-circle",
    "person-x",
    "arrow-left-right",
    "printer",
    "plus-lg",
    "person-plus",
    "telephone",
    "camera",
    "receipt",
    "cash-coin",
    "arrow-left",
    # Statuses.
    "calendar-event",
    "check-circle",
    "door-open",
    "exclamation-triangle",
    "info-circle",
    "clock-history",
    # The client's pages.
    "chat-left-text",
    "file-earmark-text",
    "droplet",
    "journal-medical",
    "list-check",
    "journal-text",
)

SPRITE = Path(__file__).resolve().parent.parent / (
    "static/vendor/bootstrap-icons/icons.svg"
)
SPRITE_URL = "vendor/bootstrap-icons/icons.svg"


def build_sprite(package: Path) -> str:
    """One <svg> of <symbol id="NAME"> per icon in ICONS, from the package's
    icons/NAME.svg files (their paths as they are)."""
    symbols = []
    for name in ICONS:
        source = (package / "icons" / f"{name}.svg").read_text()
        view_box = re.search(r'viewBox="([^"]+)"', source).group(1)
        body = re.search(r"<svg[^>]*>(.*)</svg>", source, re.S).group(1).strip()
        body = re.sub(r"\s*\n\s*", "", body)
        symbols.append(f'<symbol id="{name}" viewBox="{view_box}">{body}</symbol>')
    return (
        '<svg xmlns="http://www.w3.org/2000/svg">\n' + "\n".join(symbols) + "\n</svg>\n"
    )
