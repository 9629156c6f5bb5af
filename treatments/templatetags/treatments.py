from django import template

from treatments.diagram import head_svg
from treatments.selectors import unbooked_sessions

register = template.Library()


@register.simple_tag
def head_diagram(zones: dict | None = None, interactive: bool = False) -> str:
    return head_svg(zones or {}, interactive=interactive)


@register.filter
def has_unbooked_sessions(plan) -> bool:
    """Whether a session of the plan is still to book (from its prefetched sessions)."""
    return bool(unbooked_sessions(plan))
