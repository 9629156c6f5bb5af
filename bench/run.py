"""The benchmark: serve the app with gunicorn on 127.0.0.1 and time the pages a front
desk uses all day, on whatever data the database holds. See bench/README.md.

    python -m bench.run --scale large --database postgres://postgres@127.0.0.1/smp_large
    python -m bench.run --scale small --fresh --check     # the CI smoke run

Times are wall-clock, from the request written to the response read, over one
keep-alive connection to a single sync worker. Each is also given as a ratio to a
trivial view served by the same server in the same run, which is what to compare
between machines. Query counts come from the server (an `X-Queries` header that only
bench.server adds). `--check` fails when a count differs from EXPECTED_QUERIES: the
counts are the same at every scale, so a change is a regression or a new budget.
"""

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent

# Queries per request, identical at small and large scale. The session and the user
# with their roles come from the cache (core/backends.py): none of them is for those.
# tests/smp_clinic/test_query_counts.py holds them at small scale.
EXPECTED_QUERIES = {
    "trivial": 0,
    # The busy time; the service and the rest of the schedule (working hours,
    # closures, rooms) are served from the cache until the set-up changes
    # (selectors.served_availability), a booking included. Afresh, 5.
    "availability_day": 1,
    "availability_day_uncached": 5,
    "availability_14_days": 1,
    # Served from the cache (appointments/calendar_cache.py), the location checked
    # against those kept in the process (calendar_cache.set_up); 1 before that.
    # Rendered afresh, 8.
    "calendar_day": 0,
    "calendar_full_day": 0,
    "calendar_day_uncached": 8,
    # The page of clients, then its facts over the page's ids: intakes and
    # decisions, visits, courses (clients.selectors.client_list_facts), in SQL
    # written by hand (core.sql). 1 when they were a dozen subqueries of the one
    # query, 5 when the ORM built them, either taking longer in Python than the
    # database took to answer.
    "client_search": 4,
    # 9 before the waitlist section: one query (its offers only when there are some).
    # The payments section (issue 22): the ledger's sums, the appointments
    # owed for, the courses owed for, the last entries, the receipts and invoices: 5.
    "client_page": 15,
    # The client, closures with time off and overlapping appointments (one union),
    # the appointment, its audit entry and its messages (one insert). The service,
    # practitioner, their working hours (appointments/booking_cache.py) and message
    # timing come from the cache. 10 before the overlap check joined the union and
    # those were cached.
    "booking": 5,
}
# A sweep: one query a message (recording its result) and a fixed few more.
SWEEP_FIXED_QUERIES = 5

PASSWORD = secrets.token_urlsafe(16)
# A request with this header finds no calendar, nor schedule for free times, in the
# cache (bench/server.py).
UNCACHED = "X-Bench-Uncached"
# How far past the booking notice the booking case's slots start: a run takes minutes.
BOOKING_MARGIN = timedelta(hours=1)


@dataclass
class Case:
    name: str
    title: str
    path: str
    method: str = "GET"
    bodies: list = field(default_factory=list)
    headers: dict = field(default_factory=dict)
    times: list = field(default_factory=list)
    queries: set = field(default_factory=set)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1000

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


def main(argv=None) -> int:
    args = parse_args(argv)
    configure_environment(args)
    if args.fresh:
        reset_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    from bench import server

    server.install()

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("seed_demo", scale=args.scale, if_empty=True)
    world = World(args.scale)
    cases = world.cases(args.requests)
    port = free_port()
    server = start_gunicorn(port)
    try:
        wait_until_up(port)
        cookie = world.sign_in(port)
        for case in cases:
            measure(port, cookie, case, args.requests, args.warmup, world.booked)
        memory_mb = worker_peak_memory_mb(server)
    finally:
        server.terminate()
        server.wait(timeout=30)
        world.tidy()
    sweep = measure_sweep(world, args.messages)
    plans = explain_slowest(world, cases) if args.explain else {}
    report = render(args, cases, sweep, memory_mb, plans)
    print(report)
    if args.output:
        Path(args.output).write_text(report)
    return check(cases, sweep) if args.check else 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["small", "large"], default="small")
    parser.add_argument(
        "--database",
        help="DATABASE_URL to measure (default: $DATABASE_URL, else var/bench.sqlite3)",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="Drop and re-create the database first."
    )
    parser.add_argument("--requests", type=int, default=50, help="Timed per case.")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--messages", type=int, default=10_000, help="For the sweep.")
    parser.add_argument(
        "--explain", action="store_true", help="Add each page's costliest query plan."
    )
    parser.add_argument("--output", help="Write the report (Markdown) here.")
    parser.add_argument(
        "--check", action="store_true", help="Fail when a query count differs."
    )
    return parser.parse_args(argv)


def configure_environment(args) -> None:
    """Production mode: no DEBUG (which would keep every query in memory)."""
    default_db = f"sqlite:///{BASE_DIR / 'var' / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = (
        args.database or os.environ.get("DATABASE_URL") or default_db
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "smp_clinic.settings"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    os.environ["SITE_URL"] = "http://127.0.0.1"
    os.environ["STATIC_ROOT"] = str(BASE_DIR / "var" / "bench-static")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    (BASE_DIR / "var").mkdir(exist_ok=True)


def reset_database(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        Path(parts.path).unlink(missing_ok=True)
        return
    import psycopg2
    from psycopg2 import sql

    name = parts.path.lstrip("/")
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
        )
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


class World:
    """The records the cases ask for, picked from the seeded data."""

    def __init__(self, scale):
        from appointments.models import Appointment, Location, Practitioner, Service
        from clients.models import Client

        self.scale = scale
        self.smp = Service.objects.get(name="SMP session")
        self.consultation = Service.objects.get(name="Consultation")
        self.practitioner = Practitioner.objects.order_by("pk").first()
        self.location = Location.objects.order_by("pk").first()
        self.today = datetime.now(UTC).astimezone(self.location.zone).date()
        # Yesterday (the last day of the history): the calendar at its fullest.
        past = Appointment.objects.filter(
            location=self.location, starts_at__lt=datetime.now(UTC) - timedelta(days=1)
        )
        self.busy_day = (
            past.order_by("-starts_at")
            .values_list("starts_at", flat=True)[:1]
            .get()
            .astimezone(self.location.zone)
            .date()
        )
        self.busy_count = Appointment.objects.filter(
            location=self.location, starts_at__date=self.busy_day
        ).count()
        # The fullest client page: a completed course, with photos and recalls.
        self.client = Client.objects.filter(plans__status="completed").earliest("pk")
        self.booked: list[int] = []

    def cases(self, requests: int, booking_days: int = 14) -> list[Case]:
        """The cases, the booking's with `requests` + 10 free slots found over
        `booking_days` from today (fewer when those days hold fewer)."""
        from django.utils import timezone

        from appointments import selectors

        start = (self.today + timedelta(days=1)).isoformat()
        one_day = {
            "service": self.smp.pk,
            "start": start,
            "days": 1,
            "practitioner": self.practitioner.pk,
        }
        # Slots free an hour from now, not now: the booking case runs seconds or minutes
        # later, and a slot inside the booking notice by then is refused ("too soon").
        free = selectors.availability(
            service=self.consultation,
            first_day=self.today,
            days=booking_days,
            now=timezone.now() + BOOKING_MARGIN,
        ).slots
        bodies = [
            {
                "client": self.client.pk,
                "service": self.consultation.pk,
                "practitioner": slot.practitioner_id,
                "start": slot.start.isoformat(),
            }
            for slot in _apart(free, requests + 10)
        ]
        return [
            Case("trivial", "Trivial view (the yardstick)", "/bench/trivial/"),
            Case(
                "availability_day",
                "Availability, one practitioner, one day",
                "/api/availability?" + urlencode(one_day),
            ),
            Case(
                "availability_day_uncached",
                "Availability, one practitioner, one day, computed afresh",
                "/api/availability?" + urlencode(one_day),
                headers={UNCACHED: "1"},
            ),
            Case(
                "availability_14_days",
                "Availability, all practitioners, 14 days",
                "/api/availability?"
                + urlencode({"service": self.smp.pk, "start": start, "days": 14}),
            ),
            Case(
                "calendar_day",
                "Day calendar of a location, today",
                "/calendar/?"
                + urlencode({"location": self.location.pk, "date": self.today}),
            ),
            Case(
                "calendar_day_uncached",
                "Day calendar of a location, today, rendered afresh",
                "/calendar/?"
                + urlencode({"location": self.location.pk, "date": self.today}),
                headers={UNCACHED: "1"},
            ),
            Case(
                "calendar_full_day",
                f"Day calendar, the fullest day ({self.busy_count} appointments)",
                "/calendar/?"
                + urlencode({"location": self.location.pk, "date": self.busy_day}),
            ),
            Case("client_search", "Client search", "/clients/?q=james+smi"),
            Case("client_page", "Client page", f"/clients/{self.client.pk}/"),
            Case(
                "booking",
                "Booking, POST /api/appointments",
                "/api/appointments",
                method="POST",
                bodies=bodies,
            ),
        ]

    def sign_in(self, port: int) -> str:
        """Log the front desk in through the login page; returns the cookie header."""
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(username="frontdesk")
        from core.cache import INVALIDATION_HOLD_SECONDS

        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        # A changed user is read from the database, not the cache, for a moment
        # (core.cache.invalidate): measure the steady state, after it.
        time.sleep(INVALIDATION_HOLD_SECONDS + 0.1)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/accounts/login/")
        response = connection.getresponse()
        page = response.read().decode()
        cookies = _cookies(response)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        body = urlencode(
            {
                "username": "frontdesk",
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
            }
        )
        connection.request(
            "POST",
            "/accounts/login/",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": _cookie_header(cookies),
                "Referer": f"http://127.0.0.1:{port}/accounts/login/",
            },
        )
        response = connection.getresponse()
        response.read()
        cookies.update(_cookies(response))
        if response.status != 302 or "sessionid" not in cookies:
            raise SystemExit(f"Could not sign in: HTTP {response.status}")
        connection.close()
        self.csrf = cookies["csrftoken"]
        return _cookie_header(cookies)

    def tidy(self) -> None:
        """Remove what the booking case wrote, so the data can be benchmarked again."""
        from appointments.models import Appointment
        from messaging.models import OutboundMessage

        OutboundMessage.objects.filter(appointment_id__in=self.booked).delete()
        Appointment.objects.filter(pk__in=self.booked).delete()


def _apart(found, count: int) -> list:
    """Slots that do not overlap one another, so that each booking succeeds."""
    chosen, last_end = [], {}
    for slot in found:
        if slot.start >= last_end.get(slot.practitioner_id, slot.start):
            chosen.append(slot)
            # Room and buffers: leave an hour after each booking.
            last_end[slot.practitioner_id] = slot.end + timedelta(hours=1)
        if len(chosen) == count:
            break
    return chosen


def _cookies(response) -> dict:
    found = {}
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            found[name] = rest.split(";", 1)[0]
    return found


def _cookie_header(cookies: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int) -> subprocess.Popen:
    # A fixed command: this interpreter and its gunicorn.
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=os.environ.copy(),
    )


def wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def measure(
    port: int, cookie: str, case: Case, requests: int, warmup: int, created: list
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": cookie, **case.headers}
    bodies = iter(case.bodies)
    for number in range(warmup + requests):
        body = None
        if case.method == "POST":
            body = json.dumps(next(bodies))
            headers = {
                "Cookie": cookie,
                "Content-Type": "application/json",
                "X-CSRFToken": cookie.split("csrftoken=")[1].split(";")[0],
                "Referer": f"http://127.0.0.1:{port}/",
            }
        started = time.perf_counter()
        connection.request(case.method, case.path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        elapsed = time.perf_counter() - started
        if response.status not in (200, 201):
            raise SystemExit(f"{case.title}: HTTP {response.status} {content[:300]!r}")
        if case.method == "POST":
            created.append(json.loads(content)["id"])
        if number >= warmup:
            case.times.append(elapsed)
            case.queries.add(int(response.getheader("X-Queries")))
    connection.close()


def worker_peak_memory_mb(server: subprocess.Popen) -> float:
    """The highest resident memory (VmHWM) of gunicorn's worker, in MB."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text()
    peak = 0
    for pid in children.split():
        status = Path(f"/proc/{pid}/status").read_text()
        peak = max(peak, int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]))
    return peak / 1024


@dataclass
class Sweep:
    claimed: int
    sent: int
    skipped: int
    seconds: float
    queries: int

    @property
    def per_second(self) -> float:
        return self.claimed / self.seconds


def measure_sweep(world, count: int) -> Sweep:
    """One sweep of `count` due aftercare emails into the in-memory email backend."""
    from django.core import mail
    from django.db import connection
    from django.test.utils import override_settings
    from django.utils import timezone

    from appointments.models import Appointment
    from bench import server
    from messaging import outbox
    from messaging.models import AftercareStep, MessageKind, OutboundMessage

    locmem = "django.core.mail.backends.locmem.EmailBackend"
    with override_settings(EMAIL_BACKEND=locmem):
        # What the seed left due (the demo bookings' confirmations) goes first, untimed.
        outbox.messages_send_due(batch=1_000_000)
        steps = list(AftercareStep.objects.filter(is_active=True))
        held = Appointment.objects.filter(status="completed").order_by("-starts_at")
        now = timezone.now()
        tag = f"bench:{secrets.token_hex(4)}:"
        OutboundMessage.objects.bulk_create(
            (
                OutboundMessage(
                    client_id=client_id,
                    appointment_id=pk,
                    aftercare_step=steps[number % len(steps)],
                    kind=MessageKind.AFTERCARE,
                    due_at=now,
                    dedupe_key=f"{tag}{number}",
                )
                for number, (pk, client_id) in enumerate(
                    held.values_list("pk", "client_id")[:count]
                )
            ),
            batch_size=5000,
        )
        queries = 0

        def counter(execute, sql, params, many, context):
            nonlocal queries
            queries += server.is_query(sql)
            return execute(sql, params, many, context)

        mail.outbox = []
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            result = outbox.messages_send_due(batch=count)
        seconds = time.perf_counter() - started
        if len(mail.outbox) != result.sent:
            raise SystemExit("The sweep's count and the emails sent disagree.")
        mail.outbox = []
        OutboundMessage.objects.filter(dedupe_key__startswith=tag).delete()
    return Sweep(result.claimed, result.sent, result.skipped, seconds, queries)


def explain_slowest(world, cases) -> dict:
    """Each page's costliest query on a table that grows with the data (else of
    all), and the database's plan for it. PostgreSQL says which is costliest (the
    planner's estimate); on SQLite, the slowest of five runs each."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    browser = Client()
    browser.force_login(get_user_model().objects.get(username="frontdesk"))
    plans = {}
    for case in cases:
        if case.method != "GET" or case.name == "trivial":
            continue
        with CaptureQueriesContext(connection) as captured:
            browser.get(case.path)
        selects = [
            query["sql"]
            for query in captured.captured_queries
            if query["sql"].lstrip("( ").upper().startswith("SELECT")
        ]
        # The tables that grow with the clinic's history are the ones to watch.
        growing = [sql for sql in selects if any(t in sql for t in GROWING_TABLES)]
        costliest = max(growing or selects, key=lambda sql: _weight(connection, sql))
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + costliest)
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + costliest)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
        plans[case.name] = (costliest, plan)
    return plans


GROWING_TABLES = (
    'FROM "appointments_appointment"',
    'FROM "clients_client"',
    'FROM "clients_outboundmessage"',
)


def _weight(connection, sql: str) -> float:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            return cursor.fetchone()[0][0]["Plan"]["Total Cost"]
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            runs.append(time.perf_counter() - started)
        return min(runs)


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = found[1] if found else cpu
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(re.search(r"MemTotal:\s+(\d+)", meminfo.read_text())[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB"
    return f"{platform.platform()}; {os.cpu_count()} × {cpu}{memory}"


def render(args, cases, sweep: Sweep, memory_mb: float, plans: dict) -> str:
    import django
    from django.db import connection

    from appointments.models import Appointment
    from clients.models import Client
    from messaging.models import OutboundMessage

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT version()"
            if connection.vendor == "postgresql"
            else "SELECT 'SQLite ' || sqlite_version()"
        )
        database = cursor.fetchone()[0].split(" on ")[0]
    trivial = next(case for case in cases if case.name == "trivial").median_ms
    command = "python -m bench.run " + " ".join(
        re.sub(r"//[^@/]*@", "//", arg) for arg in (sys.argv[1:] if args else [])
    )
    lines = [
        f"## {args.scale.capitalize()} data on {connection.vendor}",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        f"- Software: Python {platform.python_version()}, "
        f"Django {django.get_version()}, {database}, gunicorn with 1 sync worker",
        f"- Command: `{command.strip()}`",
        f"- Data: {Client.objects.count():,} clients, "
        f"{Appointment.objects.count():,} appointments, "
        f"{OutboundMessage.objects.count():,} outbox messages",
        f"- Requests: {args.warmup} untimed, then {args.requests} timed per case",
        "",
        "| Case | Median ms | p95 ms | Median ÷ trivial | SQL queries |",
        "|---|---:|---:|---:|---:|",
    ]
    for case in cases:
        queries = ", ".join(str(n) for n in sorted(case.queries))
        lines.append(
            f"| {case.title} | {case.median_ms:.1f} | {case.p95_ms:.1f} | "
            f"{case.median_ms / trivial:.1f} | {queries} |"
        )
    lines += [
        "",
        f"- Outbox sweep: {sweep.claimed:,} due messages ({sweep.sent:,} sent, "
        f"{sweep.skipped:,} no longer applying) in {sweep.seconds:.2f} s: "
        f"**{sweep.per_second:,.0f} messages a second**, "
        f"{sweep.queries:,} queries ({sweep.queries - sweep.claimed} and one a "
        "message).",
        f"- Web worker peak memory (VmHWM): **{memory_mb:.0f} MB**.",
    ]
    for name, (sql, plan) in plans.items():
        title = next(case.title for case in cases if case.name == name)
        lines += [
            "",
            f"### {title}: its costliest query",
            "",
            "```sql",
            sql,
            "```",
            "",
            "```",
            plan,
            "```",
        ]
    return "\n".join(lines) + "\n"


def check(cases, sweep: Sweep) -> int:
    wrong = [
        f"{case.name}: {sorted(case.queries)} queries, expected "
        f"{EXPECTED_QUERIES[case.name]}"
        for case in cases
        if case.queries != {EXPECTED_QUERIES[case.name]}
    ]
    if sweep.queries != sweep.claimed + SWEEP_FIXED_QUERIES:
        wrong.append(
            f"sweep: {sweep.queries} queries for {sweep.claimed} messages, expected "
            f"one a message and {SWEEP_FIXED_QUERIES} more"
        )
    for line in wrong:
        print(f"QUERY COUNT CHANGED: {line}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
