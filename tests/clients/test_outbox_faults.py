"""The outbox under faults, with nothing mocked: 1,000 due messages, two real Celery
workers and two real beats on a Redis of the test's own, delivering to a local SMTP
server that counts what it receives. Mid-run Redis is killed and restarted empty, and
one worker is killed with SIGKILL while it is sending. Every message must arrive,
none twice. The second test does the same with text messages, sent through the real
`twilio` library to a local server that answers Twilio's Messages API.

The worker is killed at the one moment an SMTP client can die without doubt about the
outcome: its message is in the server's hands but not yet accepted. (A crash after
the server's acceptance and before our commit cannot be told apart from one before
it; the outbox then sends again: at least once rather than never. See the docstring
of messaging/outbox.py.)
"""

import email
import os
import threading
import time
from collections import Counter
from datetime import timedelta

import psutil
import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from clients.models import Client
from messaging.models import (
    Channel,
    MessageKind,
    MessageStatus,
    MessageText,
    OutboundMessage,
)
from tests.processes import Beat, RedisServer, Worker, free_port

MESSAGES = 1000
REDIS_KILLED_AT = 250
WORKER_KILLED_AT = 550
CLAIM_TIMEOUT_SECONDS = 8

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis_server,
    pytest.mark.django_db(transaction=True),
]


class CountingSMTP:
    """An SMTP server's handler that counts each outbox message it accepts, and
    kills the sending worker once, while it waits for the answer to message N."""

    def __init__(self, port: int, workers: list[Worker], kill_at: int):
        self.port = port
        self.workers = workers
        self.kill_at = kill_at
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.killed: tuple[Worker, str] | None = None

    @property
    def delivered(self) -> int:
        with self.lock:
            return len(self.counts)

    async def handle_DATA(self, server, session, envelope):
        message_id = email.message_from_bytes(envelope.content)["X-SMP-Message"]
        if self.killed is None and self.delivered >= self.kill_at:
            sender = self._worker_on(session.peer[1])
            if sender is not None:
                sender.kill()
                self.killed = (sender, message_id)
                return "421 4.3.0 The sender died"
        with self.lock:
            self.counts[message_id] += 1
        return "250 OK"

    def _worker_on(self, client_port: int) -> Worker | None:
        for socket in psutil.net_connections("tcp"):
            if (
                socket.laddr
                and socket.laddr.port == client_port
                and socket.raddr
                and socket.raddr.port == self.port
                and socket.pid
            ):
                group = os.getpgid(socket.pid)
                return next((w for w in self.workers if w.pgid == group), None)
        return None


def due_messages(count: int) -> None:
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
    OutboundMessage.objects.bulk_create(
        OutboundMessage(
            client=client,
            kind=MessageKind.INK_PASSPORT,
            due_at=due_at,
            dedupe_key=f"fault-test:{client.pk}",
        )
        for client in clients
    )


def test_every_message_is_delivered_once_through_a_redis_restart_and_a_killed_worker(
    tmp_path, capsys
):
    due_messages(MESSAGES)
    redis = RedisServer(tmp_path)
    redis.start()
    smtp_port = free_port()
    environment = {
        "CELERY_BROKER_URL": redis.url,
        "CELERY_TASK_DEFAULT_QUEUE": "outbox-fault-test",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "0",
        "MESSAGE_SWEEP_SECONDS": "0.5",
        "MESSAGE_SWEEP_BATCH": "20",
        "MESSAGE_CLAIM_TIMEOUT_SECONDS": str(CLAIM_TIMEOUT_SECONDS),
    }
    # One pool process each: the worker killed is the one sending, with no sibling
    # that could be caught between the server's acceptance and its commit.
    workers = [
        Worker(var_dir=tmp_path / f"worker{n}", pool="prefork", **environment)
        for n in (1, 2)
    ]
    handler = CountingSMTP(smtp_port, workers, kill_at=WORKER_KILLED_AT)
    smtp = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    beats: list[Beat] = []
    redis_killed_at = None
    started = time.monotonic()
    try:
        smtp.start()
        for worker in workers:
            worker.wait_until_ready()
        beats = [Beat(var_dir=tmp_path / f"beat{n}", **environment) for n in (1, 2)]
        deadline = time.monotonic() + 240
        while handler.delivered < MESSAGES and time.monotonic() < deadline:
            if redis_killed_at is None and handler.delivered >= REDIS_KILLED_AT:
                redis.kill()
                redis_killed_at = handler.delivered
                time.sleep(2)
                redis.start()
            time.sleep(0.1)
        elapsed = time.monotonic() - started
    finally:
        for process in beats + workers:
            process.stop()
        smtp.stop()
        redis.kill()

    logs = "\n".join(f"--- {p}\n{p.output[-3000:]}" for p in workers + beats)
    twice = sum(1 for count in handler.counts.values() if count > 1)
    assert handler.killed is not None, "no worker was killed\n" + logs
    killed_worker, killed_message = handler.killed
    with capsys.disabled():
        print(
            f"\noutbox fault test: {MESSAGES} due, {len(handler.counts)} delivered, "
            f"{twice} delivered twice, in {elapsed:.1f}s. Redis killed and restarted "
            f"empty at {redis_killed_at} delivered; {killed_worker} killed (SIGKILL) "
            f"while sending message {killed_message} at {WORKER_KILLED_AT} delivered; "
            "two beats and two workers."
        )
    assert redis_killed_at is not None and redis_killed_at < MESSAGES
    assert len(handler.counts) == MESSAGES, logs
    assert twice == 0, logs
    assert handler.counts[killed_message] == 1
    assert set(handler.counts) == {
        str(pk) for pk in OutboundMessage.objects.values_list("pk", flat=True)
    }
    assert not OutboundMessage.objects.exclude(status=MessageStatus.SENT).exists()


# The Twilio side of the SMS fault test.
ACCOUNT = "AC" + "f" * 32
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


class CountingTwilio:
    """Answers Twilio's Messages API, counting each text by its number (one client,
    one number), and kills the sending worker once, while it waits for the answer
    to text N."""

    def __init__(self, workers: list[Worker], kill_at: int):
        self.workers = workers
        self.kill_at = kill_at
        self.port = 0
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.killed: tuple[Worker | None, str] | None = None

    @property
    def delivered(self) -> int:
        with self.lock:
            return len(self.counts)

    def __call__(self, request: Request) -> Response:
        to = request.form["To"]
        # The server answers two workers at once: one decides, under the lock.
        with self.lock:
            kill = self.killed is None and len(self.counts) >= self.kill_at
            if kill:
                self.killed = (None, to)
        if kill:
            sender = self._worker_on(int(request.environ["REMOTE_PORT"]))
            if sender is not None:
                sender.kill()
                self.killed = (sender, to)
                return Response("{}", status=503, content_type="application/json")
            self.killed = None
        with self.lock:
            self.counts[to] += 1
            number = sum(self.counts.values())
        return Response(
            f'{{"sid": "SM{number:032x}", "status": "queued"}}',
            status=201,
            content_type="application/json",
        )

    def _worker_on(self, client_port: int) -> Worker | None:
        for socket in psutil.net_connections("tcp"):
            if (
                socket.laddr
                and socket.laddr.port == client_port
                and socket.raddr
                and socket.raddr.port == self.port
                and socket.pid
            ):
                group = os.getpgid(socket.pid)
                return next((w for w in self.workers if w.pgid == group), None)
        return None


def due_texts(count: int) -> None:
    clients = Client.objects.bulk_create(
        Client(
            first_name="Client",
            last_name=f"{n:04}",
            email=f"client{n}@example.com",
            phone=f"+4477009{n:05}",
            preferred_contact="sms",
            reminder_consent=True,
        )
        for n in range(count)
    )
    # A kind that needs no appointment or offer behind it, in words that use only
    # the client's name and the clinic's.
    MessageText.objects.create(
        key="waitlist_gone",
        subject="News",
        body="News.",
        sms="{clinic}: news for {first_name}.",
    )
    due_at = timezone.now() - timedelta(minutes=1)
    OutboundMessage.objects.bulk_create(
        OutboundMessage(
            client=client,
            kind=MessageKind.WAITLIST_GONE,
            channel=Channel.SMS,
            due_at=due_at,
            dedupe_key=f"fault-test:{client.pk}:sms",
        )
        for client in clients
    )


def test_every_text_is_sent_once_through_a_redis_restart_and_a_killed_worker(
    tmp_path, capsys
):
    due_texts(MESSAGES)
    redis = RedisServer(tmp_path)
    redis.start()
    twilio = HTTPServer(host="127.0.0.1", threaded=True)
    environment = {
        "CELERY_BROKER_URL": redis.url,
        "CELERY_TASK_DEFAULT_QUEUE": "outbox-fault-test",
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": "fault-test",
        "TWILIO_FROM": "+15005550006",
        "MESSAGE_SWEEP_SECONDS": "0.5",
        "MESSAGE_SWEEP_BATCH": "20",
        "MESSAGE_CLAIM_TIMEOUT_SECONDS": str(CLAIM_TIMEOUT_SECONDS),
        # No quiet hours: the test runs whatever the hour.
        "SMS_QUIET_FROM": "24",
        "SMS_QUIET_UNTIL": "0",
    }
    workers: list[Worker] = []
    handler = CountingTwilio(workers, kill_at=WORKER_KILLED_AT)
    beats: list[Beat] = []
    redis_killed_at = None
    started = time.monotonic()
    try:
        twilio.expect_request(MESSAGES_PATH, method="POST").respond_with_handler(
            handler
        )
        twilio.start()
        handler.port = twilio.port
        environment["TWILIO_API_BASE_URL"] = twilio.url_for("/")
        workers += [
            Worker(var_dir=tmp_path / f"worker{n}", pool="prefork", **environment)
            for n in (1, 2)
        ]
        for worker in workers:
            worker.wait_until_ready()
        beats = [Beat(var_dir=tmp_path / f"beat{n}", **environment) for n in (1, 2)]
        deadline = time.monotonic() + 240
        while handler.delivered < MESSAGES and time.monotonic() < deadline:
            if redis_killed_at is None and handler.delivered >= REDIS_KILLED_AT:
                redis.kill()
                redis_killed_at = handler.delivered
                time.sleep(2)
                redis.start()
            time.sleep(0.1)
        elapsed = time.monotonic() - started
    finally:
        for process in beats + workers:
            process.stop()
        twilio.clear()
        if twilio.is_running():
            twilio.stop()
        redis.kill()

    logs = "\n".join(f"--- {p}\n{p.output[-3000:]}" for p in workers + beats)
    twice = sum(1 for count in handler.counts.values() if count > 1)
    assert handler.killed is not None, "no worker was killed\n" + logs
    killed_worker, killed_number = handler.killed
    with capsys.disabled():
        print(
            f"\noutbox SMS fault test: {MESSAGES} due, {len(handler.counts)} sent, "
            f"{twice} sent twice, in {elapsed:.1f}s. Redis killed and restarted "
            f"empty at {redis_killed_at} sent; {killed_worker} killed (SIGKILL) "
            f"while sending to {killed_number} at {WORKER_KILLED_AT} sent."
        )
    assert redis_killed_at is not None and redis_killed_at < MESSAGES
    assert len(handler.counts) == MESSAGES, logs
    assert twice == 0, logs
    assert handler.counts[killed_number] == 1
    assert set(handler.counts) == set(Client.objects.values_list("phone", flat=True))
    texts = OutboundMessage.objects.all()
    assert not texts.exclude(status=MessageStatus.SENT).exists()
    assert not texts.filter(provider_id="").exists()
    assert not OutboundMessage.objects.filter(channel=Channel.EMAIL).exists()
