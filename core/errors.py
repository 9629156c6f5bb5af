"""Error pages in the app's layout: what happened in plain words and the way back.

403, 404 and 429 render through the normal layout (the menu when signed in). The 500
page is rendered with no request context: the error may be the database, and the
context processors (the user, their roles) would ask it again.
"""

from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from core.clinic import cached_clinic_name


def too_many_requests(request, message: str, *, retry_after_seconds: int = 600):
    """The 429 page: what was refused and when to try again."""
    response = render(
        request,
        "429.html",
        {"message": message, "retry_minutes": max(retry_after_seconds // 60, 1)},
        status=429,
    )
    response["Retry-After"] = str(retry_after_seconds)
    return response


def server_error(request) -> HttpResponse:
    """handler500: a static page, built from settings only (no database, no
    session, no user)."""
    template = loader.get_template("500.html")
    return HttpResponseServerError(
        template.render({"clinic_name": cached_clinic_name()})
    )
