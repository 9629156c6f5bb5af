from django import template

from treatments.diagram import head_svg

register = template.Library()


@register.simple_tag
def head_diagram(zones: dict | None = None, interactive: bool = False) -> str:
    return head_svg(zones or {}, interactive=interactive)
