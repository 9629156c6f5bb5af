"""The benchmark's small run is CI's smoke test: gunicorn serving fresh small data,
every case requested, and a failure when any page's query count has moved from the
budget (bench/run.py EXPECTED_QUERIES). Times are printed, never asserted."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def scratch_database(tmp_path: Path) -> str:
    """A database of the suite's kind that the benchmark may drop and re-create."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        login = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        return f"postgres://{login}@{host}:{port}/smp_bench_smoke"
    return f"sqlite:///{tmp_path / 'bench.sqlite3'}"


def test_the_benchmark_runs_and_every_query_count_holds(tmp_path):
    command = [
        sys.executable,
        "-m",
        "bench.run",
        "--scale=small",
        "--fresh",
        f"--database={scratch_database(tmp_path)}",
        "--requests=3",
        "--warmup=2",
        "--messages=200",
        "--check",
    ]
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        command,
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    # The report goes to the CI log: the times are worth reading, not asserting.
    print(result.stdout)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "| Booking, POST /api/appointments |" in result.stdout
