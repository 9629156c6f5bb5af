"""What one booking costs in the process that serves it, and two versions side by side.

`python -m bench.booking` books `--bookings` free slots one after another through
`POST /api/appointments` in-process (Django's test client, the whole middleware
stack, as a signed-in front desk) on the benchmark's data (bench.run's World), and
reports per booking the median CPU time of this process, the median wall time and
the statements sent (bench/server.py's count). Bookings made are deleted afterwards.

CPU time, not wall time, is the figure to compare on a shared machine: other
engineers' test suites stretch every wait for the database or Redis, but not the
work this process does itself. With `--against PATH` (another checkout sharing this
database's schema) both versions run `--rounds` times, alternating A B A B, each
round in a fresh process; `--profile FILE` writes a cProfile of this checkout's
bookings (sorted by cumulative time) to look for what to cut next.

    DATABASE_URL=postgres://... CACHE_URL=redis://... \\
        .venv/bin/python -m bench.booking --against /tmp/before --rounds 3
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--against", type=Path, help="Another checkout to compare.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bookings", type=int, default=50, help="Timed a round.")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="Write a cProfile here.")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return 0
    trees = [("this checkout", HERE.parent.parent)]
    if args.against:
        trees.insert(0, ("before (--against)", args.against.resolve()))
    results = {label: [] for label, _ in trees}
    for _ in range(args.rounds):
        for label, tree in trees:
            results[label].append(run_worker(tree, args))
    print(render(results, args))
    return 0


def run_worker(tree: Path, args) -> dict:
    """One round in a fresh process, with `tree` first on the import path."""
    command = [
        sys.executable,
        str(HERE),
        "--worker",
        f"--bookings={args.bookings}",
        f"--warmup={args.warmup}",
    ]
    if args.profile and tree == HERE.parent.parent:
        command.append(f"--profile={args.profile}")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(  # noqa: S603 - this file, with our own arguments
        command, cwd=tree, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"{tree}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def worker(args) -> dict:
    sys.path.insert(0, os.getcwd())
    from bench.run import configure_environment

    configure_environment(argparse.Namespace(database=None))
    import django

    from bench import server

    django.setup()
    server.install()
    from django.contrib.auth import get_user_model
    from django.test import Client as Browser
    from django.utils import timezone

    from appointments import selectors
    from appointments.models import Appointment
    from bench.run import BOOKING_MARGIN, World, _apart
    from messaging.models import OutboundMessage

    world = World("small")
    free = selectors.availability(
        service=world.consultation,
        first_day=world.today,
        days=14,
        now=timezone.now() + BOOKING_MARGIN,
    ).slots
    slots = _apart(free, args.warmup + args.bookings)
    browser = Browser()
    browser.force_login(get_user_model().objects.get(username="frontdesk"))
    booked: list[int] = []

    def book(slot) -> int:
        body = {
            "client": world.client.pk,
            "service": world.consultation.pk,
            "practitioner": slot.practitioner_id,
            "start": slot.start.isoformat(),
        }
        response = browser.post(
            "/api/appointments", json.dumps(body), content_type="application/json"
        )
        if response.status_code != 201:
            raise SystemExit(f"HTTP {response.status_code}: {response.content[:300]}")
        booked.append(response.json()["id"])
        return int(response["X-Queries"])

    cpu, wall, statements = [], [], set()
    try:
        for slot in slots[: args.warmup]:
            book(slot)
        timed = slots[args.warmup :]
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        for slot in timed:
            started, started_cpu = time.perf_counter(), time.process_time()
            statements.add(book(slot))
            cpu.append(time.process_time() - started_cpu)
            wall.append(time.perf_counter() - started)
        if profiler:
            import pstats

            profiler.disable()
            with open(args.profile, "w") as out:
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(
                    80
                )
    finally:
        OutboundMessage.objects.filter(appointment_id__in=booked).delete()
        Appointment.objects.filter(pk__in=booked).delete()
    return {
        "bookings": len(timed),
        "cpu_ms": statistics.median(cpu) * 1000,
        "wall_ms": statistics.median(wall) * 1000,
        "statements": sorted(statements),
    }


def render(results: dict, args) -> str:
    lines = [
        f"In-process bookings, {args.bookings} a round, versions alternating "
        f"({os.environ.get('DATABASE_URL', 'sqlite').split(':')[0]}):",
        "",
        "| Version | Round | CPU ms (median) | Wall ms (median) | Statements |",
        "|---|---|---|---|---|",
    ]
    for label, rounds in results.items():
        for number, found in enumerate(rounds, 1):
            lines.append(
                f"| {label} | {number} | {found['cpu_ms']:.2f} | "
                f"{found['wall_ms']:.2f} | "
                f"{'/'.join(map(str, found['statements']))} |"
            )
    for label, rounds in results.items():
        cpu = statistics.median(found["cpu_ms"] for found in rounds)
        wall = statistics.median(found["wall_ms"] for found in rounds)
        lines.append(f"| {label} | all | {cpu:.2f} | {wall:.2f} | |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
