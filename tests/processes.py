"""Real processes for the tests that need them: Celery workers and beats of the
project, and a redis-server of the test's own. Each runs against the test database."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from tests.conftest import subprocess_env

BASE_DIR = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def worker_database_url() -> str:
    """The URL of the database this test runs on, for a process the test starts."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    credentials = quote(s["USER"] or "")
    if s["PASSWORD"]:
        credentials += ":" + quote(s["PASSWORD"])
    return (
        f"postgres://{credentials}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}"
        f"/{s['NAME']}"
    )


class Process:
    """A process of the project whose output is kept for the failure message. It
    leads its own process group, so killing it kills its children too."""

    ready_line = ""

    def __init__(self, command: list[str], *, cwd: Path, **env: str):
        cwd.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=subprocess_env(
                DATABASE_URL=worker_database_url(),
                SECRET_KEY=os.environ["SECRET_KEY"],
                PYTHONPATH=str(BASE_DIR),
                VAR_DIR=str(cwd),
                **env,
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)
            if self.ready_line and self.ready_line in line:
                self.ready.set()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    @property
    def pgid(self) -> int:
        return self.process.pid

    def wait_until_ready(self, timeout: float = 60) -> None:
        if not self.ready.wait(timeout):
            self.stop()
            pytest.fail(f"{self} did not start:\n{self.output}")

    def kill(self) -> None:
        """SIGKILL to the whole process group: no shutdown, no clean-up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGKILL)
        self.process.wait()

    def terminate(self) -> None:
        """SIGTERM to the process group, without waiting: stop() waits."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pgid, signal.SIGTERM)

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.pgid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.pgid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        self.reader.join(timeout=5)


class Worker(Process):
    """A `celery worker` of the project."""

    # Until the worker has declared its queue, a message sent to it has no route.
    ready_line = " ready."

    def __init__(
        self, *, var_dir: Path, pool: str = "solo", concurrency: int = 1, **env: str
    ):
        command = [sys.executable, "-m", "celery", "-A", "smp_clinic", "worker"]
        command += [f"--pool={pool}", f"--concurrency={concurrency}"]
        command += ["--without-mingle", "--without-gossip", "-l", "INFO"]
        super().__init__(command, cwd=var_dir, **env)

    def __str__(self) -> str:
        return f"the worker {self.pgid}"


class Beat(Process):
    """A `celery beat` of the project, with its own schedule file."""

    ready_line = "beat: Starting..."

    def __init__(self, *, var_dir: Path, **env: str):
        command = [sys.executable, "-m", "celery", "-A", "smp_clinic", "beat"]
        command += ["-s", str(var_dir / "schedule"), "--pidfile=", "-l", "INFO"]
        super().__init__(command, cwd=var_dir, **env)

    def __str__(self) -> str:
        return f"the beat {self.pgid}"


def procfile_command(kind: str) -> list[str]:
    """The Procfile's command for a process type (web, worker, beat), run by a shell
    as honcho runs it, so that $PORT and ${VAR:-default} come from the environment."""
    for line in (BASE_DIR / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == kind and command.strip():
            return ["/bin/sh", "-c", f"exec {command.strip()}"]
    raise LookupError(f"the Procfile has no {kind!r} line")


class ProcfileProcess(Process):
    """One line of the Procfile as a host would run it: the virtualenv's programs
    first on PATH, and a VAR_DIR of its own (its working directory)."""

    def __init__(self, kind: str, *, var_dir: Path, ready_line: str = "", **env: str):
        self.kind = kind
        self.ready_line = ready_line
        path = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
        super().__init__(procfile_command(kind), cwd=var_dir, PATH=path, **env)

    def __str__(self) -> str:
        return f"the {self.kind} {self.pgid}"


REDIS_SERVER = shutil.which("redis-server")


class RedisServer:
    """A redis-server of the test's own on a free port, keeping nothing on disk, so
    killing it never touches the machine's shared Redis."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
