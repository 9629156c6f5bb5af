"""Walking the public booking page as a visitor without JavaScript does: plain links
from step to step, then the details form."""

import html
import re

DETAILS_LINK = re.compile(r'href="(/book/\d+/\d+/details/\?[^"]+)"')


def time_links(page: str) -> list[str]:
    """The times offered on a times page, as the details links they lead to."""
    return [html.unescape(link) for link in DETAILS_LINK.findall(page)]


def first_time_url(client, location, service) -> str:
    """The details page of the first time offered for the service at the location."""
    page = client.get(f"/book/{location.pk}/{service.pk}/").text
    return time_links(page)[0]
