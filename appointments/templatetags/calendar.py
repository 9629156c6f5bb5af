from django import template
from django.utils.html import format_html, format_html_join

from appointments.models import Practitioner

register = template.Library()


@register.simple_tag(takes_context=True)
def practitioner_colours(context):
    """One stylesheet rule per practitioner, so no element needs a style attribute
    (a strict Content Security Policy forbids them). Colours are validated #rrggbb."""
    rules = format_html_join(
        "\n",
        ".practitioner-{} {{ --practitioner-colour: {}; }}",
        Practitioner.objects.values_list("pk", "colour"),
    )
    nonce = getattr(context.get("request"), "csp_nonce", "")
    return format_html('<style nonce="{}">\n{}\n</style>', nonce, rules)
