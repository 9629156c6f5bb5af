"""The head diagram: the scalp seen from above (face at the top), one shape per zone.

Drawn by us as SVG so it scales on a tablet and needs no image files. Each shape names
its zone; the form's selects hold the values, so the diagram is a way to pick and a
picture of what was done, never the only way in (keyboard and screen readers use the
selects).
"""

from django.utils.html import format_html, format_html_join

from treatments.models import Zone

# (zone, SVG path, where its label goes)
SHAPES = [
    (Zone.FRONTAL_HAIRLINE, "M55,48 Q100,2 145,48 L134,60 Q100,26 66,60 Z", (100, 38)),
    (Zone.LEFT_TEMPLE, "M26,78 L55,48 L66,60 L52,92 Z", (48, 70)),
    (Zone.RIGHT_TEMPLE, "M174,78 L145,48 L134,60 L148,92 Z", (152, 70)),
    (Zone.MID_SCALP, "M66,60 Q100,26 134,60 L142,118 L58,118 Z", (100, 88)),
    (
        Zone.LEFT_SIDE,
        "M26,78 L52,92 L58,118 L60,178 L30,168 Q14,124 26,78 Z",
        (40, 132),
    ),
    (
        Zone.RIGHT_SIDE,
        "M174,78 L148,92 L142,118 L140,178 L170,168 Q186,124 174,78 Z",
        (160, 132),
    ),
    (Zone.CROWN, "M58,118 L142,118 L140,178 L60,178 Z", (100, 150)),
    (
        Zone.BACK,
        "M30,168 L60,178 L140,178 L170,168 Q150,206 100,210 Q50,206 30,168 Z",
        (100, 194),
    ),
    (
        Zone.DONOR_SCAR,
        "M44,196 Q100,222 156,196 L150,212 Q100,236 50,212 Z",
        (100, 222),
    ),
]

SHORT = {
    Zone.FRONTAL_HAIRLINE: "Hairline",
    Zone.LEFT_TEMPLE: "L temple",
    Zone.RIGHT_TEMPLE: "R temple",
    Zone.MID_SCALP: "Mid-scalp",
    Zone.LEFT_SIDE: "L side",
    Zone.RIGHT_SIDE: "R side",
    Zone.CROWN: "Crown",
    Zone.BACK: "Back",
    Zone.DONOR_SCAR: "Donor/scar",
}


def head_svg(zones: dict[str, str], *, interactive: bool = False) -> str:
    """The diagram with each zone shaded by its density (a word in its title too,
    so the picture never relies on colour alone)."""
    shapes = format_html_join(
        "",
        '<g class="zone zone-{}"{}><title>{}: {}</title><path d="{}"/></g>',
        (
            (
                zones.get(zone) or "none",
                format_html(' data-zone="{}"', zone) if interactive else "",
                zone.label,
                zones.get(zone) or "not treated",
                path,
            )
            for zone, path, _ in SHAPES
        ),
    )
    # Labels after every shape, so no neighbouring shape covers one.
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="middle" aria-hidden="true">{}{}</text>',
        (
            (
                x,
                y,
                SHORT[zone],
                f" ({zones[zone][0].upper()})" if zones.get(zone) else "",
            )
            for zone, _, (x, y) in SHAPES
        ),
    )
    return format_html(
        '<svg class="head-diagram{}" viewBox="0 0 200 240" role="img" '
        'aria-label="Head diagram, seen from above, face at the top">'
        '<ellipse cx="100" cy="124" rx="86" ry="112" class="head-outline"/>{}'
        '<g class="zone-labels">{}</g></svg>',
        " head-diagram-interactive" if interactive else "",
        shapes,
        labels,
    )
