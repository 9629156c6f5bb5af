"""`{% icon "name" %}`: a Bootstrap Icon from the app's sprite (core.icons), hidden
from screen readers: the words beside it say what it means."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from core.icons import ICONS, SPRITE_URL

register = template.Library()


@register.simple_tag
def icon(name: str, extra_class: str = ""):
    if name not in ICONS:
        # A name the sprite lacks would draw nothing: say so where it is written.
        raise template.TemplateSyntaxError(f"No icon {name!r} in core.icons.ICONS.")
    return format_html(
        '<svg class="bi{}" aria-hidden="true" focusable="false">'
        '<use href="{}#{}"></use></svg>',
        f" {extra_class}" if extra_class else "",
        static(SPRITE_URL),
        name,
    )
