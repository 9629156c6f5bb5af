"""The logs of a whole journey hold no health data, no password and no token.

Everything any logger emits, at every level, is captured while staff log in (one
failure first), add a client, record the intake, book by the API, send the emails
(one delivery failing), the client opens the email's link, confirms and
unsubscribes, and a manager sets up two-factor login and exports the record.
"""

import contextlib
import logging
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from bench.run import free_port
from clients.models import Client
from core.roles import Role
from messaging.outbox import messages_send_due

pytestmark = pytest.mark.usefixtures("rooms")

PASSWORD = "journey passphrase 2026 !"
SECRETS = {
    "password": PASSWORD,
    "medications": "Warfarin 5 mg nightly",
    "allergies": "Nickel and latex",
    "medical history": "Type 2 diabetes since 2019",
    "date of birth": "1985-04-30",
    "phone": "7700900123",
}


def test_a_whole_journey_logs_no_secret(
    client, caplog, capsys, settings, tmp_path, make_staff, sam, consultation
):
    settings.MEDIA_ROOT = tmp_path
    settings.TWO_FACTOR_REQUIRED = True
    cache.clear()
    caplog.set_level(logging.DEBUG)
    make_staff(Role.PRACTITIONER, username="pat", password=PASSWORD)
    make_staff(Role.MANAGER, username="morgan", password=PASSWORD)

    client.post(
        "/accounts/login/", {"username": "pat", "password": "wrong " + PASSWORD}
    )
    client.post("/accounts/login/", {"username": "pat", "password": PASSWORD})
    client.post(
        "/clients/new/",
        {
            "first_name": "Jo",
            "last_name": "Bloggs",
            "email": "jo@x.test",
            "phone": "07700 900123",
            "date_of_birth": SECRETS["date of birth"],
            "preferred_contact": "email",
            "reminder_consent": "on",
        },
    )
    jo = Client.objects.get(last_name="Bloggs")
    client.post(
        f"/clients/{jo.pk}/intake/health/",
        {
            "health-medications": SECRETS["medications"],
            "health-allergies": SECRETS["allergies"],
            "health-medical_history": SECRETS["medical history"],
        },
        headers={"HX-Request": "true"},
    )
    client.get(f"/clients/{jo.pk}/intake/")
    booked = client.post(
        "/api/appointments",
        {
            "client": jo.pk,
            "service": consultation.pk,
            "practitioner": sam.pk,
            "start": "2030-03-04T10:00:00+00:00",
        },
        content_type="application/json",
    )
    assert booked.status_code == 201, booked.text

    with mock.patch(
        "django.core.mail.message.EmailMessage.send",
        side_effect=ConnectionRefusedError("smtp.example.test refused"),
    ):
        messages_send_due(now=datetime(2030, 3, 1, tzinfo=UTC))
    messages_send_due(now=datetime(2030, 3, 3, 12, tzinfo=UTC))
    assert mail.outbox, "the journey sends its emails"
    bodies = "\n".join(message.body for message in mail.outbox)
    links = set(re.findall(r"http://[^\s]+/m/[^\s]+", bodies))
    tokens = {link.rstrip("/").rsplit("/", 1)[-1] for link in links}
    assert tokens
    for link in links:
        path = link.split("://", 1)[1].split("/", 1)[1]
        client.get(f"/{path}")
        client.post(f"/{path}", {"action": "confirm"})

    client.post("/accounts/logout/")
    client.post("/accounts/login/", {"username": "morgan", "password": PASSWORD})
    setup = client.get("/accounts/two-factor/setup/")
    device = TOTPDevice.objects.get(user__username="morgan")
    code = f"{TOTP(device.bin_key).token():06d}"
    client.post("/accounts/two-factor/setup/", {"code": code})
    client.get(f"/clients/{jo.pk}/export/")

    secrets = {**SECRETS, "two-factor key": setup.context["secret"], "code": code}
    secrets.update({f"token {n}": token for n, token in enumerate(tokens)})
    secrets["session id"] = client.cookies["sessionid"].value
    logged = "\n".join(
        f"{record.name} {record.levelname} {record.getMessage()} {record.args!r}"
        for record in caplog.records
    )
    leaks = {name for name, value in secrets.items() if value and value in logged}
    with capsys.disabled():
        print(
            f"\nlogs of a journey: {len(caplog.records)} records at every level, "
            f"checked for {len(secrets)} secrets; leaks {len(leaks)}"
        )
    assert len(caplog.records) > 10, "the capture saw the journey"
    assert leaks == set(), [
        line for line in logged.splitlines() if any(v in line for v in secrets.values())
    ]


def test_gunicorns_access_log_leaves_out_the_secrets_in_paths(tmp_path):
    """The Procfile's web process logs every request; not the tokens in its path."""
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "VAR_DIR": str(tmp_path),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "smp_clinic.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "-",
            "--logger-class",
            "core.logs.RedactingAccessLog",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    secrets = ["feedtoken123456789", "emailtoken987654321", "offertoken24681357"]
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/")
                break
            except OSError:
                time.sleep(0.1)
        for path in (
            f"/feeds/{secrets[0]}.ics",
            f"/m/{secrets[1]}/",
            f"/m/waitlist/{secrets[2]}/",
        ):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}",
                headers={"Referer": f"http://127.0.0.1:{port}{path}"},
            )
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(request)  # noqa: S310 - http://127.0.0.1 only
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]

    assert "/feeds/[redacted]" in output and "/m/[redacted]" in output
    assert "/m/waitlist/[redacted]" in output
    assert not any(secret in output for secret in secrets)


@pytest.mark.parametrize(
    ("line", "redacted"),
    [
        ("Not Found: /pay/deposit/abc.DEF-123/", "Not Found: /pay/deposit/[redacted]/"),
        ('"GET /pay/deposit/ab:1x/paid/ HTTP/1.1"', '"GET /pay/deposit/[redacted]/'),
        ("GET /book/done/tok:en/", "GET /book/done/[redacted]/"),
        ("GET /s/Xy7Qa9/ 302", "GET /s/[redacted]/ 302"),
        ("GET /clients/s/page/", "GET /clients/s/page/"),
    ],
)
def test_pay_done_and_short_link_tokens_are_redacted(line, redacted):
    from core.logs import redact

    assert redact(line).startswith(redacted)
