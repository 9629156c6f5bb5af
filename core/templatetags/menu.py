"""`{% main_menu %}`: the staff menu, rendered once per process for each set of
capabilities and page.

Its sixteen links, their icons and which one is the current page depend on nothing
else, and rendering them cost about a millisecond of every staff page. The markup is
kept per (capabilities, page, script prefix); the menu's template must not use the
user, the session or anything else of the request (templates/partials/main_menu.html).
"""

from functools import lru_cache

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import get_script_prefix

register = template.Library()

TEMPLATE = "partials/main_menu.html"


@register.simple_tag(takes_context=True)
def main_menu(context):
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match is not None else None
    granted = tuple(sorted(name for name, yes in context.get("can", {}).items() if yes))
    if settings.DEBUG:  # an edited template shows at once
        return _render(granted, current, get_script_prefix())
    return _memo(granted, current, get_script_prefix())


def _render(granted: tuple[str, ...], current: str | None, _prefix: str) -> str:
    can = dict.fromkeys(granted, True)
    # A SafeString: the template escaped what it drew.
    return render_to_string(TEMPLATE, {"can": can, "current": current})


# A few sets of capabilities times the pages with a name: some hundreds.
_memo = lru_cache(maxsize=2048)(_render)


@receiver(setting_changed)
def _settings_changed(*, setting, **_kwargs):
    if setting in ("TEMPLATES", "STATIC_URL", "STORAGES", "ROOT_URLCONF"):
        _memo.cache_clear()
