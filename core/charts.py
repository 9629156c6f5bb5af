"""Charts drawn on the server as SVG: no script, nothing for the CSP to allow, and
readable without colour (every bar carries its value as text). The table beside each
chart holds the same figures for screen readers and for copying."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, ROW, LEFT, RIGHT, PAD = 640, 24, 190, 80, 6


def _number(value) -> float:
    if isinstance(value, str):
        value = value.rstrip("%")
        return float(value) if value.replace(".", "", 1).isdigit() else 0.0
    return float(value or 0)


def bar_chart(
    *, slug: str, title: str, labels, values, unit: str = "", shown=None
) -> SafeString:
    """Horizontal bars, one a row, each labelled on the left and valued on the right.
    `shown`: how each value reads, when not as the number (an amount of money)."""
    numbers = [_number(value) for value in values]
    written = list(shown) if shown is not None else [None] * len(numbers)
    peak = max(*numbers, 0) or 1
    span = WIDTH - LEFT - RIGHT
    rows = []
    for index, (label, value, number, text) in enumerate(
        zip(labels, values, numbers, written, strict=True)
    ):
        y = PAD + index * ROW
        # A negative amount (more refunded than taken) draws no bar, but reads.
        length = max(span * number / peak, 0)
        if text is None:
            text = value if isinstance(value, str) else _shown(number, unit)
        rows.append(
            (
                LEFT - 8,
                y + 16,
                str(label),
                LEFT,
                y + 4,
                f"{length:.1f}",
                ROW - 8,
                LEFT + length + 6,
                y + 16,
                text,
            )
        )
    bars = format_html_join(
        "\n",
        '<text x="{}" y="{}" text-anchor="end" class="chart-label">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" class="chart-bar"></rect>'
        '<text x="{}" y="{}" class="chart-value">{}</text>',
        rows,
    )
    height = PAD * 2 + ROW * max(len(rows), 1)
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}">'
        '<title id="{}">{}</title>{}</svg>',
        WIDTH,
        height,
        f"chart-{slug}",
        f"chart-{slug}",
        title,
        bars,
    )


def _shown(number: float, unit: str) -> str:
    if unit == "%":
        return f"{number:.1f}%"
    if number == int(number):
        return f"{int(number):,}"
    return f"{number:.1f}"
