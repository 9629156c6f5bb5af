"""The app under load, and two versions of it side by side.

`python -m bench.load` serves the app as the Procfile's `web` process does (gunicorn,
`WEB_CONCURRENCY` workers, its access log) on loopback and puts wrk on it: 20
connections for 60 s of a mix of what a front desk does all day (the day calendar,
one practitioner's free slots, a client search, a booking, each booking a different
free slot), reporting requests a second and the 50th and 99th percentile latency.

Before the load, each version also answers single requests on one keep-alive
connection (the benchmark's trivial view, one practitioner-day of availability and a
booking), and the availability selector is timed called directly, so the cost of the
request path around it shows as a ratio.

With `--against PATH` (another checkout of the project, sharing this database's
schema: the commit before a change), both versions are measured in one run,
interleaved: single requests alternate between the two servers, and the load runs
alternate A B, B A over `--rounds`. These machines are shared: compare the two
versions within a run, never runs with each other.
"""

import argparse
import http.client
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from bench.run import (
    BASE_DIR,
    World,
    configure_environment,
    free_port,
    reset_database,
    wait_until_up,
)

# The mix, in requests of every 20: what a front desk's day is made of.
MIX = ["calendar"] * 6 + ["availability"] * 6 + ["search"] * 5 + ["booking"] * 3
LUA = Path(__file__).with_name("load.lua")


@dataclass
class Version:
    label: str
    tree: Path
    single: dict = field(default_factory=dict)  # case -> [seconds]
    queries: dict = field(default_factory=dict)  # case -> {count}
    loads: list = field(default_factory=list)  # [LoadResult]


@dataclass
class LoadResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: str
    bookings: int = 0
    slots: int = 0  # the free slots it could book


def main(argv=None) -> int:
    args = parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    configure_environment(args)
    if args.fresh:
        reset_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("seed_demo", scale=args.scale, if_empty=True)
    world = World(args.scale)
    versions = [Version("after (this checkout)", BASE_DIR)]
    if args.against:
        versions.insert(0, Version("before (--against)", Path(args.against).resolve()))

    selector_ms = measure_selector(world, args.requests)
    measure_single(world, versions, args.requests)
    for number in range(args.rounds):
        order = versions if number % 2 == 0 else versions[::-1]
        for version in order:
            version.loads.append(measure_load(world, version, args))
    report = render(args, world, versions, selector_ms)
    print(report)
    if args.output:
        Path(args.output).write_text(report)
    return 0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["small", "large"], default="small")
    parser.add_argument("--database", help="DATABASE_URL (as bench.run)")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--against", help="Another checkout to compare, measured too.")
    parser.add_argument("--duration", type=int, default=60, help="Seconds of load.")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads.")
    parser.add_argument("--rounds", type=int, default=1, help="Load runs a version.")
    parser.add_argument("--requests", type=int, default=200, help="Single requests.")
    parser.add_argument("--output", help="Write the report (Markdown) here.")
    return parser.parse_args(argv)


def procfile_web(tree: Path, port: int) -> list[str]:
    """The Procfile's web command of that checkout, for this port."""
    line = next(
        line
        for line in (tree / "Procfile").read_text().splitlines()
        if line.startswith("web:")
    )
    command = line.split(":", 1)[1].strip()
    command = re.sub(
        r"\$\{(\w+):-([^}]*)\}", lambda m: os.environ.get(*m.groups()), command
    )
    command = command.replace("$PORT", str(port))
    words = shlex.split(command)
    if words[0] != "gunicorn":
        raise SystemExit(f"The Procfile's web process is not gunicorn: {command}")
    return [sys.executable, "-m", *words]


def start(tree: Path, command: list[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.Popen(  # noqa: S603 - the Procfile's command, or bench.run's
        command,
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,  # the access log: written, not kept
        stderr=subprocess.DEVNULL,
    )


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=30)


# Free slots for the load's bookings, and the days they are taken from: enough that a
# run books to its end (about fifteen a day on the small data; up to 1,800 bookings in
# 60 s here), so the mix is the same from the first second to the last. The report
# says when they ran out.
LOAD_BOOKINGS = 4_000
LOAD_BOOKING_DAYS = 365


def booking_bodies(world, count: int, days: int = 14) -> list[dict]:
    cases = world.cases(count, booking_days=days)
    return next(case for case in cases if case.name == "booking").bodies


def booked_since(first_pk: int) -> int:
    """Remove the bookings a run made, so the next run finds the same free slots;
    returns how many there were."""
    from appointments.models import Appointment
    from messaging.models import OutboundMessage

    made = Appointment.objects.filter(pk__gt=first_pk)
    count = made.count()
    OutboundMessage.objects.filter(appointment__in=made).delete()
    made.delete()
    return count


def last_appointment_pk() -> int:
    from appointments.models import Appointment

    return Appointment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def measure_selector(world, requests: int) -> list[float]:
    """The availability selector of one practitioner-day, called directly."""
    from appointments import selectors

    times = []
    for _ in range(requests + 5):
        started = time.perf_counter()
        selectors.availability(
            service=world.smp,
            first_day=world.today + timedelta(days=1),
            days=1,
            practitioner_id=world.practitioner.pk,
        )
        times.append(time.perf_counter() - started)
    return times[5:]


def single_cases(world) -> dict[str, str]:
    one_day = {
        "service": world.smp.pk,
        "start": (world.today + timedelta(days=1)).isoformat(),
        "days": 1,
        "practitioner": world.practitioner.pk,
    }
    return {
        "trivial": "/bench/trivial/",
        "availability_day": "/api/availability?" + urlencode(one_day),
    }


def measure_single(world, versions: list[Version], requests: int) -> None:
    """Each version's server (bench.wsgi, one worker, as bench.run) up at once; the
    single requests alternate between them, so both see the same machine."""
    servers, connections, cookies = [], [], []
    first_pk = last_appointment_pk()
    bodies = booking_bodies(world, (requests + 5) * len(versions))
    try:
        for version in versions:
            port = free_port()
            command = [
                sys.executable,
                "-m",
                "gunicorn",
                "bench.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
            ]
            servers.append(start(version.tree, command))
            wait_until_up(port)
            # One sign-in for both: each sets the password, ending earlier sessions.
            cookies.append(cookies[0] if cookies else world.sign_in(port))
            connections.append(
                http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            )
        paths = single_cases(world)
        slots = iter(bodies)
        # Bookings while free slots last (each version books a different one).
        bookings = len(bodies) // len(versions)
        for number in range(requests + 5):
            booking = [("booking", None)] if number < bookings else []
            for name, path in [*paths.items(), *booking]:
                for version, connection, cookie in zip(
                    versions, connections, cookies, strict=True
                ):
                    elapsed, queries = one_request(connection, cookie, path, slots)
                    if number >= 5:
                        version.single.setdefault(name, []).append(elapsed)
                        version.queries.setdefault(name, set()).add(queries)
    finally:
        for connection in connections:
            connection.close()
        for server in servers:
            stop(server)
        booked_since(first_pk)


def one_request(connection, cookie: str, path: str | None, slots) -> tuple[float, int]:
    if path is None:
        method, path, body = "POST", "/api/appointments", json.dumps(next(slots))
        headers = {
            "Cookie": cookie,
            "Content-Type": "application/json",
            "X-CSRFToken": cookie.split("csrftoken=")[1].split(";")[0],
            "Referer": f"http://{connection.host}:{connection.port}/",
        }
    else:
        method, body, headers = "GET", None, {"Cookie": cookie}
    started = time.perf_counter()
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    content = response.read()
    elapsed = time.perf_counter() - started
    if response.status not in (200, 201):
        raise SystemExit(f"{method} {path}: HTTP {response.status} {content[:300]!r}")
    return elapsed, int(response.getheader("X-Queries"))


def measure_load(world, version: Version, args) -> LoadResult:
    port = free_port()
    first_pk = last_appointment_pk()
    server = start(version.tree, procfile_web(version.tree, port))
    try:
        wait_until_up(port)
        cookie = world.sign_in(port)
        bodies = booking_bodies(world, LOAD_BOOKINGS, LOAD_BOOKING_DAYS)
        script = lua_script(world, cookie, port, bodies, args.threads)
        with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
            lua.write(script)
            lua.flush()
            output = subprocess.run(  # noqa: S603 - wrk with our own arguments
                [
                    shutil.which("wrk"),
                    f"-t{args.threads}",
                    f"-c{args.connections}",
                    f"-d{args.duration}s",
                    "--timeout",
                    "10s",
                    "--latency",
                    "-s",
                    lua.name,
                    f"http://127.0.0.1:{port}",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
    finally:
        stop(server)
        bookings = booked_since(first_pk)
    result = parse_wrk(output)
    result.bookings = bookings
    result.slots = len(bodies)
    return result


def lua_script(world, cookie: str, port: int, bodies: list[dict], threads: int) -> str:
    from appointments.models import Location

    location = Location.objects.order_by("pk").first()
    gets = {
        "calendar": "/calendar/?"
        + urlencode({"location": location.pk, "date": world.today}),
        "availability": "/api/availability?"
        + urlencode(
            {
                "service": world.smp.pk,
                "start": (world.today + timedelta(days=1)).isoformat(),
                "days": 1,
                "practitioner": world.practitioner.pk,
            }
        ),
        "search": "/clients/?q=james+smi",
    }
    csrf = cookie.split("csrftoken=")[1].split(";")[0]
    settings = {
        "mix": MIX,
        "gets": gets,
        "bodies": [json.dumps(body) for body in bodies],
        "cookie": cookie,
        "csrf": csrf,
        "referer": f"http://127.0.0.1:{port}/",
        "threads": threads,
    }
    return f"local settings = {lua_value(settings)}\n" + LUA.read_text()


def lua_value(value) -> str:
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"[{lua_value(k)}] = {lua_value(v)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, list):
        return "{" + ", ".join(lua_value(v) for v in value) + "}"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a Lua string for these characters
    return str(value)


def parse_wrk(output: str) -> LoadResult:
    def ms(label: str) -> float:
        number, unit = re.search(
            rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.M
        ).groups()
        return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    statuses = re.search(r"^statuses (.*)$", output, re.M)
    return LoadResult(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        p50_ms=ms("50%"),
        p99_ms=ms("99%"),
        requests=int(re.search(r"(\d+) requests in", output)[1]),
        errors=statuses[1].strip() if statuses else "",
    )


def render(args, world, versions: list[Version], selector_ms: list[float]) -> str:
    import platform

    from django.db import connection

    median = statistics.median
    lines = [
        f"# Load: {args.connections} connections, {args.duration} s, "
        f"{connection.vendor}, {args.scale} data",
        "",
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores "
        "(shared with other work: compare within the run). "
        "Web: the Procfile's gunicorn, "
        f"WEB_CONCURRENCY={os.environ.get('WEB_CONCURRENCY', '2')}.",
        "",
        "## Single requests (one keep-alive connection, the versions alternating)",
        "",
        "| Version | Request | Median ms | Queries | × the selector |",
        "|---|---|---|---|---|",
    ]
    selector = median(selector_ms) * 1000
    lines.append(
        "| (in-process) | availability selector, one practitioner-day | "
        f"{selector:.2f} | | 1.00 |"
    )
    for version in versions:
        for name, times in version.single.items():
            ratio = median(times) * 1000 / selector
            lines.append(
                f"| {version.label} | {name} | {median(times) * 1000:.2f} | "
                f"{'/'.join(map(str, sorted(version.queries[name])))} | "
                f"{ratio:.2f} |"
            )
    lines += [
        "",
        "## Under load (wrk; mix per 20 requests: 6 calendar, 6 availability, "
        "5 search, 3 booking)",
        "",
        "| Version | Round | Requests/s | p50 ms | p99 ms | Requests | Bookings "
        "| Not 2xx |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for version in versions:
        for number, load in enumerate(version.loads, 1):
            lines.append(
                f"| {version.label} | {number} | {load.requests_per_second:.1f} | "
                f"{load.p50_ms:.1f} | {load.p99_ms:.1f} | {load.requests} | "
                f"{_bookings(load)} | {load.errors or 'none'} |"
            )
    return "\n".join(lines) + "\n"


def _bookings(load: LoadResult) -> str:
    if load.slots and load.bookings >= load.slots:
        # The rest of the run's booking turns were calendars: not the same mix.
        return f"{load.bookings} of {load.slots}: **ran out**"
    return f"{load.bookings} of {load.slots}"


if __name__ == "__main__":
    sys.exit(main())
