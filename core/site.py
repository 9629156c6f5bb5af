"""The address the app is served at (SITE_URL), for links and identifiers that leave
it: emails, calendar feeds. Never built from a request's Host header."""

from urllib.parse import urlsplit

from django.conf import settings


def site_host() -> str:
    return urlsplit(settings.SITE_URL).netloc
