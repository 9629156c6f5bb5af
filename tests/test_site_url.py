"""Every email and link uses the address the app is served at (issue 21): `make run`
with PORT=9000 writes links to port 9000, for the web and for the worker that writes
the emails; SITE_URL, when set, wins."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def site_url(**environ) -> str:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SITE_URL", "PORT", "DJANGO_SETTINGS_MODULE")
    }
    env.update(DEBUG="1", DJANGO_SETTINGS_MODULE="smp_clinic.settings", **environ)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from django.conf import settings; print(settings.SITE_URL)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_site_url_follows_port_unless_set(tmp_path):
    var = str(tmp_path)
    assert site_url(VAR_DIR=var) == "http://127.0.0.1:8000"
    assert site_url(VAR_DIR=var, PORT="9000") == "http://127.0.0.1:9000"
    assert (
        site_url(VAR_DIR=var, PORT="9000", SITE_URL="https://clinic.example.com/")
        == "https://clinic.example.com"
    )


@pytest.fixture
def fake_bin(tmp_path):
    """A bin directory whose honcho records the SITE_URL and PORT each step sees
    (honcho start gives the worker PORT+100: the Makefile must pass SITE_URL)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "seen"
    honcho = bin_dir / "honcho"
    honcho.write_text(
        f'#!/bin/sh\necho "$1 SITE_URL=$SITE_URL" >> {log}\n', encoding="utf-8"
    )
    honcho.chmod(honcho.stat().st_mode | stat.S_IXUSR)
    return bin_dir, log


def run_make(fake_bin, **environ):
    bin_dir, log = fake_bin
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "PORT")}
    env.update(environ)
    subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-s",
            "-o",
            "install",
            "run",
            f"BIN={bin_dir}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
    )
    return log.read_text(encoding="utf-8").splitlines()


def test_make_run_on_port_9000_links_to_port_9000_in_every_process(fake_bin):
    seen = run_make(fake_bin, PORT="9000")
    assert seen[-1] == "start SITE_URL=http://127.0.0.1:9000"
    assert set(seen) == {
        "run SITE_URL=http://127.0.0.1:9000",
        "start SITE_URL=http://127.0.0.1:9000",
    }


def test_make_run_keeps_a_site_url_that_is_set(fake_bin):
    seen = run_make(fake_bin, PORT="9000", SITE_URL="https://clinic.example.com")
    assert set(seen) == {
        "run SITE_URL=https://clinic.example.com",
        "start SITE_URL=https://clinic.example.com",
    }
