from django import template

from treatments import rules
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


@register.simple_tag
def plan_refusal(decision) -> str | None:
    """Why New plan is not offered for this latest decision (treatments.rules)."""
    return rules.plan_refusal(decision)


@register.simple_tag
def session_record_refusal(appointment) -> str | None:
    """Why a session of this appointment cannot be recorded yet (treatments.rules)."""
    return rules.session_record_refusal(appointment)
