"""The layers of docs/architecture.md hold, and breaking them fails with the contract's
name: `lint-imports` (make lint, CI) runs the contracts of pyproject.toml."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = [
    "core",
    "pigments",
    "clients",
    "appointments",
    "treatments",
    "messaging",
    "portal",
    "payments",
    "operations",
    "privacy",
    "smp_clinic",
]

pytestmark = pytest.mark.skipif(
    not LINT_IMPORTS.exists(), reason="import-linter is not installed"
)


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


@pytest.fixture(scope="module")
def copy_of_the_code(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("layers")
    shutil.copy(ROOT / "pyproject.toml", root)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            root / package,
            ignore=shutil.ignore_patterns("__pycache__", "migrations"),
        )
    return root


def test_the_code_keeps_its_layers():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("core/roles.py", "import clients.models"),
        ("clients/phones.py", "from appointments import slots"),
        ("appointments/slots.py", "from treatments import selectors"),
        ("treatments/diagram.py", "import smp_clinic.reports"),
        # Sibling feature apps import neither each other.
        ("portal/views.py", "from messaging import outbox"),
        ("payments/views.py", "from messaging import outbox"),
    ],
)
def test_an_upward_import_breaks_the_contract_by_name(copy_of_the_code, module, upward):
    path = copy_of_the_code / module
    original = path.read_text()
    path.write_text(original + f"\n{upward}  # noqa\n")
    try:
        result = lint_imports(copy_of_the_code)
    finally:
        path.write_text(original)
    assert result.returncode != 0
    assert "Apps depend downwards only" in result.stdout
    assert "BROKEN" in result.stdout


def test_no_symlink_is_tracked():
    """A worktree links to main's .venv and node_modules; committing those links once
    replaced main's virtualenv and made CI's npm install go in circles."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    modes_and_paths = [line.split("\t") for line in listed.splitlines()]
    assert [path for mode, path in modes_and_paths if mode.startswith("120000")] == []
