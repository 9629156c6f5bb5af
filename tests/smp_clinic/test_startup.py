"""What every web and worker process loads when it starts. The SDKs of optional
services are imported where they are called: stripe (with aiohttp) and fpdf2 (with
fontTools) alone were some 60 MB of each process, and took the web worker's peak
memory over issue 8's 150 MB (bench/RESULTS.md)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

LOADED = """
import json, sys
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns  # every app's views and what they import
import smp_clinic.celery  # and the worker's tasks
from celery import current_app
current_app.loader.import_default_modules()
print(json.dumps(sorted(sys.modules)))
"""

# Imported where they are called (payments/stripe_api.py, payments/pdf.py,
# messaging/sms.py, S3 storage), never at start. (twilio's request validator, for
# the texts' webhooks, is a few lines of hmac: its REST client is what weighs.)
LAZY = {"stripe", "fpdf", "fontTools", "aiohttp", "twilio.rest", "boto3", "botocore"}


def test_no_process_imports_an_optional_sdk_at_start(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smp_clinic.settings",
        "DEBUG": "0",
        "SECRET_KEY": "a test key " * 5,
        "VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", LOADED],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert not loaded & LAZY, sorted(loaded & LAZY)
    assert "django" in loaded  # it did load the app
