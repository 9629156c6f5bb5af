"""Several hosts: two web processes (the Procfile's gunicorn line) and two Celery
workers with a beat, then two beats, each in a VAR_DIR of its own as if on machines
that share no disk, against one PostgreSQL, one Redis (a redis-server of the test's
own) and one S3-compatible store (moto's server). Behind a load balancer a person's
requests land on any web host, and every host must see what another one wrote:

- a login made through one web host holds on the other, and a logout through the
  other ends it on both (sessions in the database, read through the shared cache);
- a photo uploaded through one is served by the other (the bucket, not a disk);
- a booking made through one shows at once on the other's calendar (the calendar's
  version in the shared cache);
- a rate limit counts requests to both (its counter in the shared cache), and so
  does the login lockout (django-axes, in the database);
- the outbox sends each due message once with two workers and two beats.

Nothing is mocked: the processes are the Procfile's, and the test talks to them over
HTTP as a browser would.
"""

import email
import io
import os
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import redis as redis_client
import requests
from django.utils import timezone
from PIL import Image

from clients.models import Client, ConsentKind
from clients.services import consent_sign
from core.roles import Role
from messaging.models import MessageKind, MessageStatus, OutboundMessage
from tests.conftest import subprocess_env
from tests.operations.conftest import bucket_client
from tests.processes import BASE_DIR, ProcfileProcess, RedisServer, free_port
from treatments.models import Photo

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis_server,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "correct horse battery staple 42"
BUCKET = "clinic-private"
MESSAGES = 200
LINK_LIMIT = 4


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "sienna").save(out, "JPEG")
    return out.getvalue()


class WebHost:
    """A web process of the Procfile on a port of its own, and the address of it."""

    def __init__(self, name: str, var_dir: Path, **env: str):
        self.name = name
        self.port = free_port()
        prometheus = var_dir / "prometheus"
        prometheus.mkdir(parents=True)
        self.process = ProcfileProcess(
            "web",
            var_dir=var_dir,
            PORT=str(self.port),
            PROMETHEUS_MULTIPROC_DIR=str(prometheus),
            **env,
        )
        self.base = f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def wait_until_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(self.url("/healthz"), timeout=30).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or self.process.process.poll() is not None:
                pytest.fail(f"web {self.name} did not start:\n{self.process.output}")
            time.sleep(0.2)


def stop_all(processes: list[ProcfileProcess]) -> None:
    """Every process told to stop at once, then each waited for: a warm shutdown
    takes a second or two, and one after another they added up."""
    for process in processes:
        process.terminate()
    for process in processes:
        process.stop()


def csrf(session: requests.Session) -> str:
    return session.cookies["csrftoken"]


def log_in(session: requests.Session, web: WebHost, username: str) -> requests.Response:
    session.get(web.url("/accounts/login/"), timeout=30)
    return session.post(
        web.url("/accounts/login/"),
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf(session),
        },
        allow_redirects=False,
        timeout=30,
    )


def due_messages(count: int) -> set[int]:
    clients = Client.objects.bulk_create(
        Client(
            first_name="Client",
            last_name=f"{n:04}",
            email=f"client{n}@example.com",
            reminder_consent=True,
        )
        for n in range(count)
    )
    due_at = timezone.now() - timedelta(minutes=1)
    created = OutboundMessage.objects.bulk_create(
        OutboundMessage(
            client=client,
            kind=MessageKind.INK_PASSPORT,
            due_at=due_at,
            dedupe_key=f"several-hosts:{client.pk}",
        )
        for client in clients
    )
    return {message.pk for message in created}


def sent_emails(worker_dirs: list[Path]) -> dict[Path, list[str]]:
    """The outbox message ids of the .eml files each worker host wrote."""
    return {
        folder: [
            email.message_from_bytes(path.read_bytes())["X-SMP-Message"]
            for path in sorted((folder / "outbox").glob("*.eml"))
        ]
        for folder in worker_dirs
    }


@pytest.fixture
def people(make_staff, consent_texts, london, sam, consultation):
    practitioner = make_staff(Role.PRACTITIONER, username="pat", password=PASSWORD)
    make_staff(Role.FRONT_DESK, username="lockme", password=PASSWORD)
    client = Client.objects.create(
        first_name="Jo",
        last_name="Hostsworth",
        email="jo@x.test",
        date_of_birth=date(1985, 4, 30),
    )
    consent_sign(
        client=client,
        text=consent_texts[ConsentKind.PHOTOS],
        typed_name="Jo Hostsworth",
        by=practitioner,
    )
    return {
        "client": client,
        "location": london,
        "practitioner": sam,
        "service": consultation,
    }


def test_two_web_hosts_two_workers_and_two_beats_share_what_they_must(
    tmp_path, s3_endpoint, people, capsys
):
    started = time.monotonic()
    figures: dict[str, float] = {}
    bucket_client(s3_endpoint).create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
    )
    redis = RedisServer(tmp_path)
    hosts = tmp_path / "hosts"
    # The release: the same code and collected static files on every host (as a
    # package or an image would carry them); nothing the app writes goes there.
    release_static = tmp_path / "release-static"
    shared = {
        "CACHE_URL": f"redis://127.0.0.1:{redis.port}/1",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis.port}/0",
        "MEDIA_STORAGE": "s3",
        "MEDIA_S3_BUCKET": BUCKET,
        "MEDIA_S3_ENDPOINT_URL": s3_endpoint,
        "MEDIA_S3_REGION": "eu-west-2",
        "MEDIA_S3_ACCESS_KEY_ID": "testing",
        "MEDIA_S3_SECRET_ACCESS_KEY": "x",
        "MEDIA_S3_ADDRESSING_STYLE": "path",
        "STATIC_ROOT": str(release_static),
        "MESSAGE_SWEEP_SECONDS": "0.5",
        "MESSAGE_SWEEP_BATCH": "20",
        "MESSAGE_LINK_RATE_LIMIT": str(LINK_LIMIT),
        "WEB_CONCURRENCY": "2",
        "WORKER_CONCURRENCY": "2",
    }
    processes: list[ProcfileProcess] = []

    def logs() -> str:
        return "\n".join(f"--- {p}\n{p.output[-3000:]}" for p in processes)

    with ExitStack() as cleanup:
        redis.start()
        cleanup.callback(redis.kill)
        collect = subprocess.Popen(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=BASE_DIR,
            env=subprocess_env(
                **shared,
                SECRET_KEY=os.environ["SECRET_KEY"],
                VAR_DIR=str(tmp_path / "collect"),
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        cleanup.callback(collect.kill)
        cleanup.callback(stop_all, processes)

        def start(kind: str, name: str, **extra) -> ProcfileProcess:
            process = ProcfileProcess(kind, var_dir=hosts / name, **shared, **extra)
            processes.append(process)
            return process

        workers = [start("worker", f"worker-{n}", ready_line=" ready.") for n in "12"]
        beats = [start("beat", "beat-1", ready_line="beat: Starting...")]
        output, _ = collect.communicate(timeout=300)
        assert collect.returncode == 0, output
        web_a = WebHost("a", hosts / "web-a", **shared)
        processes.append(web_a.process)
        web_b = WebHost("b", hosts / "web-b", **shared)
        processes.append(web_b.process)
        for web in (web_a, web_b):
            web.wait_until_ready()
        for worker in workers:
            worker.wait_until_ready()
        figures["start"] = time.monotonic() - started

        # A login through A is a login on B: the session is in the database.
        browser = requests.Session()
        login = log_in(browser, web_a, "pat")
        assert login.status_code == 302 and login.headers["Location"] == "/", logs()
        assert browser.get(web_b.url("/"), allow_redirects=False).status_code == 200

        # A photo uploaded through A is served by B, from the bucket.
        client = people["client"]
        picture = jpeg()
        uploaded = browser.post(
            web_a.url(f"/clients/{client.pk}/photos/"),
            data={
                "kind": "before",
                "view": "front",
                "csrfmiddlewaretoken": csrf(browser),
            },
            files={"image": ("scalp.jpg", picture, "image/jpeg")},
            allow_redirects=False,
            timeout=30,
        )
        assert uploaded.status_code == 302, uploaded.text[-2000:]
        photo = Photo.objects.get(client=client)
        served = {
            size: browser.get(web_b.url(f"/photos/{photo.pk}/{size}/"), timeout=30)
            for size in ("full", "thumb")
        }
        for response in served.values():
            assert response.status_code == 200, response.text[-2000:]
            assert response.headers["Content-Type"] == "image/jpeg"
            assert response.content[:3] == b"\xff\xd8\xff"
        stored = (
            bucket_client(s3_endpoint)
            .get_object(Bucket=BUCKET, Key=f"private/{photo.image.name}")["Body"]
            .read()
        )
        assert served["full"].content == stored
        assert not [p for p in hosts.rglob("*") if p.suffix in {".jpg", ".jpeg"}]

        # A booking through A shows at once on B's calendar, which B had cached.
        location = people["location"]
        day = timezone.localdate(timezone.now(), location.zone) + timedelta(days=7)
        calendar = f"/calendar/?location={location.pk}&date={day.isoformat()}"
        before = browser.get(web_b.url(calendar), timeout=30)
        assert before.status_code == 200 and "Hostsworth" not in before.text
        cached = redis_client.Redis(port=redis.port, db=1).keys("*calendar_day*")
        assert cached, "B did not cache the calendar: the test would prove nothing"
        starts_at = datetime.combine(day, datetime.min.time().replace(hour=10))
        booked = browser.post(
            web_a.url("/api/appointments"),
            json={
                "client": client.pk,
                "service": people["service"].pk,
                "practitioner": people["practitioner"].pk,
                "start": starts_at.replace(tzinfo=location.zone).isoformat(),
            },
            headers={"X-CSRFToken": csrf(browser)},
            timeout=30,
        )
        assert booked.status_code == 201, booked.text
        after = browser.get(web_b.url(calendar), timeout=30)
        assert "Hostsworth" in after.text, "B's calendar is stale"

        # Logging out through B ends the session on A too, for a copy of its cookie
        # as well (the browser drops its own): sessions are read through the cache
        # (cached_db), and a host with a cache of its own would still hold it.
        session_id = browser.cookies["sessionid"]
        logout = browser.post(
            web_b.url("/accounts/logout/"),
            data={"csrfmiddlewaretoken": csrf(browser)},
            allow_redirects=False,
            timeout=30,
        )
        assert logout.status_code == 302, logout.status_code
        gone = requests.get(
            web_a.url("/"),
            cookies={"sessionid": session_id},
            allow_redirects=False,
            timeout=30,
        )
        assert gone.status_code == 302, "A still serves a session ended through B"
        assert "/accounts/login/" in gone.headers["Location"]

        # The email links' rate limit counts the requests to A and B together.
        answers = [
            requests.get(web.url("/m/not-a-real-link/"), timeout=30).status_code
            for web in [web_a, web_b] * (LINK_LIMIT // 2 + 1)
        ]
        assert answers[:LINK_LIMIT] == [400] * LINK_LIMIT, answers
        assert answers[LINK_LIMIT:] == [429, 429], answers

        # Five wrong passwords, spread over A and B, lock the account on both.
        intruder = requests.Session()
        for web in (web_a, web_b, web_a, web_b, web_a):
            intruder.get(web.url("/accounts/login/"), timeout=30)
            intruder.post(
                web.url("/accounts/login/"),
                data={
                    "username": "lockme",
                    "password": "wrong password",
                    "csrfmiddlewaretoken": csrf(intruder),
                },
                timeout=30,
            )
        locked = log_in(intruder, web_b, "lockme")
        assert locked.status_code == 429, locked.status_code
        figures["web"] = time.monotonic() - started - figures["start"]

        # Two workers and two beats (one too many: the mistake the outbox survives).
        beats.append(start("beat", "beat-2", ready_line="beat: Starting..."))
        for beat in beats:
            beat.wait_until_ready()
        outbox_started = time.monotonic()
        ours = due_messages(MESSAGES)
        deadline = time.monotonic() + 90
        sent = OutboundMessage.objects.filter(pk__in=ours, status=MessageStatus.SENT)
        while sent.count() < MESSAGES and time.monotonic() < deadline:
            time.sleep(0.2)
        figures["outbox"] = time.monotonic() - outbox_started
        # Sweeps go on meanwhile: a message sent twice would show now.
        time.sleep(1.5)
    # Every process is stopped here, whatever happened above.

    worker_dirs = [hosts / "worker-1", hosts / "worker-2"]
    emails = sent_emails(worker_dirs)
    counts = Counter(pk for ids in emails.values() for pk in ids)
    sent_rows = set(
        OutboundMessage.objects.filter(status=MessageStatus.SENT).values_list(
            "pk", flat=True
        )
    )
    twice = {pk: n for pk, n in counts.items() if n > 1}
    split = [len(ids) for ids in emails.values()]
    with capsys.disabled():
        print(
            f"\nseveral hosts: 2 web (gunicorn x2), 2 workers (x2), 2 beats; started "
            f"in {figures['start']:.1f}s, web checks {figures['web']:.1f}s; "
            f"{MESSAGES} due messages sent in {figures['outbox']:.1f}s, "
            f"{sum(split)} emails written ({split[0]} + {split[1]} by the two "
            f"workers), {len(twice)} twice; {time.monotonic() - started:.1f}s in all"
        )
    assert not twice, twice
    assert {str(pk) for pk in ours} <= set(counts), logs()
    assert set(counts) == {str(pk) for pk in sent_rows}
    assert all(split), f"one worker sent nothing: {split}\n{logs()}"
