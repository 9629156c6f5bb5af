"""The pictures the intake offers for each hair-loss stage: a head seen from above,
forehead at the top, hair dark and bare scalp light. Drawn by us as SVG from the
geometry below, so they need no image files and scale to any screen."""

from django.utils.html import format_html, format_html_join

from clients.models import Scale

HAIR = "#4a3728"
SKIN = "#f3d5b5"

# Bare areas: (cx, cy, rx, ry, opacity). Norwood: temples, then the front, then the
# crown, until a horseshoe band remains. Ludwig and Savin: thinning spreading from the
# parting, the frontal line kept.
NORWOOD = {
    "I": [],
    "II": [(27, 15, 7, 6, 1), (73, 15, 7, 6, 1)],
    "III": [(27, 19, 10, 10, 1), (73, 19, 10, 10, 1), (50, 11, 16, 5, 1)],
    "III vertex": [
        (27, 19, 10, 10, 1),
        (73, 19, 10, 10, 1),
        (50, 11, 16, 5, 1),
        (50, 84, 7, 7, 1),
    ],
    "IV": [(50, 18, 25, 14, 1), (50, 84, 11, 11, 1)],
    "V": [(50, 24, 29, 20, 1), (50, 82, 16, 15, 1)],
    "VI": [(50, 48, 30, 42, 1)],
    "VII": [(50, 50, 35, 48, 1)],
}
LUDWIG = {
    "I": [(50, 58, 7, 26, 0.5)],
    "II": [(50, 58, 16, 32, 0.65)],
    "III": [(50, 58, 27, 40, 0.85)],
}
SAVIN = {
    "I-1": [(50, 58, 3, 24, 0.35)],
    "I-2": [(50, 58, 6, 26, 0.4)],
    "I-3": [(50, 58, 10, 28, 0.45)],
    "I-4": [(50, 58, 14, 30, 0.5)],
    "II-1": [(50, 58, 19, 32, 0.6)],
    "II-2": [(50, 58, 23, 34, 0.7)],
    "III": [(50, 58, 28, 38, 0.85)],
    "Advanced": [(50, 56, 33, 44, 0.95)],
}
AREAS = {Scale.NORWOOD: NORWOOD, Scale.LUDWIG: LUDWIG, Scale.SAVIN: SAVIN}


def stage_svg(scale: str, stage: str) -> str:
    """An SVG picture of a stage; decorative (the label beside it names the stage)."""
    clip = f"head-{scale}-{stage}".replace(" ", "-")
    bare = format_html_join(
        "",
        '<ellipse cx="{}" cy="{}" rx="{}" ry="{}" fill="{}" fill-opacity="{}" '
        'clip-path="url(#{})"/>',
        (
            (cx, cy, rx, ry, SKIN, opacity, clip)
            for cx, cy, rx, ry, opacity in (AREAS[Scale(scale)][stage])
        ),
    )
    return format_html(
        '<svg viewBox="0 0 100 120" width="72" height="86" aria-hidden="true" '
        'focusable="false" class="stage-picture">'
        '<defs><clipPath id="{}"><ellipse cx="50" cy="62" rx="40" ry="54"/>'
        "</clipPath></defs>"
        '<ellipse cx="50" cy="62" rx="40" ry="54" fill="{}"/>{}'
        '<ellipse cx="50" cy="62" rx="40" ry="54" fill="none" stroke="#333" '
        'stroke-width="1.5"/>'
        '<path d="M44 7 L50 1 L56 7" fill="none" stroke="#333" stroke-width="1.5"/>'
        "</svg>",
        clip,
        HAIR,
        bare,
    )
