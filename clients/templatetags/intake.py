from django import template

from clients.models import STAGES
from clients.phones import display_phone
from clients.stages import stage_svg

register = template.Library()


@register.simple_tag
def stage_picture(choice: str):
    """The picture for a stage radio's value, "norwood:III"."""
    scale, _, stage = str(choice).partition(":")
    if not stage:
        return ""
    return stage_svg(scale, stage)


@register.filter
def phone(value: str) -> str:
    return display_phone(value)


@register.simple_tag
def intake_stage_picture(intake):
    """The picture of the stage an intake records, or nothing without one."""
    if intake is None or intake.stage not in STAGES.get(intake.scale, ()):
        return ""
    return stage_svg(intake.scale, intake.stage)
