import re

import pytest
from django.core import mail
from django.core.cache import cache

from clients.models import Client
from portal import access, tasks

LINK = re.compile(r"http://[^/\s]+(/my/link/[^\s?\"]+/)(\?next=[^\s\"]+)?")


@pytest.fixture
def broker(monkeypatch):
    """What a request left for the worker: the arguments of each task sent."""
    sent = []
    monkeypatch.setattr(
        tasks.send_sign_in_link, "delay", lambda *args: sent.append(args)
    )
    return sent


@pytest.fixture
def ask_link(settings, django_capture_on_commit_callbacks, broker):
    """Post to the sign-in page as a browser would, then run what it left for the
    worker as the worker would. Returns the answer and how many tasks it left."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()

    def ask(client, email: str, **extra):
        before = len(mail.outbox)
        broker.clear()
        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post("/my/sign-in/", {"email": email}, **extra)
        assert broker == [], "enqueued before the commit"
        for callback in callbacks:
            callback()
        assert len(mail.outbox) == before, "the request itself sent an email"
        for args in broker:
            tasks.send_sign_in_link(*args)
        return response, len(broker)

    yield ask
    cache.clear()


def link_in(message) -> str:
    """The path (and ?next=) of the sign-in link in an email."""
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1) + (found.group(2) or "")


@pytest.fixture
def jo(db):
    return Client.objects.create(
        first_name="Jo", last_name="Bloggs", email="jo@x.test", phone="+447700900123"
    )


@pytest.fixture
def kim(db):
    return Client.objects.create(
        first_name="Kim", last_name="Other", email="kim@x.test", phone="+447700900456"
    )


def sign_in_as(browser, person: Client) -> None:
    """A client's session, as a used link leaves it (the tests of the link itself
    go through the email)."""
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.session = browser.session
    access.client_session_start(request, person)
    request.session.save()
    browser.cookies["sessionid"] = request.session.session_key


@pytest.fixture
def signed_in(client):
    def sign(person: Client):
        sign_in_as(client, person)
        return client

    return sign
