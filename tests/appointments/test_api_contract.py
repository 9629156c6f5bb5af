"""The staff API keeps its OpenAPI contract: schemathesis runs every operation of
/api/schema against a live server on the test database, with a front desk's session,
through all four phases (examples, coverage, fuzzing, stateful) and every check, and
the test fails on any disagreement between the schema and an answer."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client as Browser
from django.utils.crypto import get_random_string

from tests.conftest import subprocess_env

# Bounded and derandomised so that CI is neither slow nor flaky: the same cases every
# run, about a minute on a loaded two-core machine.
CONFIG = Path(__file__).with_name("schemathesis.toml")
REPO = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 40
SEED = 26


def schemathesis_run(schema: Path, url: str, session: str):
    """Run in the schema's directory: schemathesis keeps a crash cache in the
    working directory, which must not land in the repository."""
    csrf = get_random_string(32)
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        str(schema),
        "--url",
        url,
        "--header",
        f"X-CSRFToken: {csrf}",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--checks",
        "all",
        # Replaced by contract_checks.py's refinement of it (a 422 "refused").
        "--exclude-checks",
        "positive_data_acceptance",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--generation-deterministic",
        "--workers",
        "1",
        "--no-color",
        *os.environ.get("CONTRACT_EXTRA", "").split(),
    ]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=schema.parent,
        env=subprocess_env(
            SCHEMATHESIS_HOOKS="tests.appointments.contract_checks",
            CONTRACT_SESSION=session,
            CONTRACT_CSRF=csrf,
            PYTHONPATH=str(REPO),
        ),
    )


@pytest.fixture
def clinic(london, rooms, consultation, smp_session, sam, jo, make_client):
    """Rows with small ids, which the generator tries first: with reset sequences
    client, service, practitioner, room and location 1 exist, so some generated
    bookings are made (and then cancelled by the stateful phase's link)."""
    return make_client()


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_every_answer_of_every_operation_is_in_the_schema(
    live_server, front_desk, clinic, capsys, tmp_path
):
    browser = Browser()
    browser.force_login(front_desk)
    # The schema is for staff only: fetched with the session, given to schemathesis.
    schema = tmp_path / "schema.json"
    schema.write_bytes(browser.get("/api/schema").content)

    run = schemathesis_run(schema, live_server.url, browser.cookies["sessionid"].value)

    cases = re.search(r"Test cases:\s*\n\s*(\d+) generated", run.stdout)
    with capsys.disabled():
        print(run.stdout.partition("= SUMMARY =")[2] or run.stdout[-3000:])
        print(
            f"schemathesis contract run: {cases.group(1) if cases else '?'} cases, "
            f"exit code {run.returncode}"
        )
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]
    assert cases and int(cases.group(1)) > 0
    # Every phase ran; none was skipped for want of operations or links.
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert re.search(rf"✅\s+{phase}", run.stdout), run.stdout


class Answer:
    def __init__(self, status_code: int, body):
        self.status_code, self._body = status_code, body

    def json(self):
        if isinstance(self._body, Exception):
            raise self._body
        return self._body


@pytest.mark.parametrize(
    ("answer", "exempt"),
    [
        (Answer(422, {"code": "refused", "message": "Too soon."}), True),
        (Answer(422, {"code": "invalid", "message": "", "fields": {}}), False),
        (Answer(409, {"code": "refused"}), False),
        (Answer(422, ValueError("not JSON")), False),
    ],
)
def test_only_a_refused_booking_is_exempt_from_positive_data_acceptance(answer, exempt):
    """The one refinement of schemathesis's checks: a schema-valid request answered
    422 `invalid` (the server stricter than its schema) still fails the run."""
    from tests.appointments.contract_checks import _refused

    assert _refused(answer) is exempt
