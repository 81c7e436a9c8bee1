"""The walls between modules (import-linter), types (mypy --strict) and lint (ruff) are part of the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LINTED = ("his", "cdss", "perf", "tests", "migrations", "scripts")


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.criterion(100)
def test_module_boundaries_hold() -> None:
    result = _run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_types_check_strictly() -> None:
    result = _run(sys.executable, "-m", "mypy")  # packages: pyproject [tool.mypy]
    assert result.returncode == 0, result.stdout + result.stderr


def test_lint_is_clean() -> None:
    result = _run(sys.executable, "-m", "ruff", "check", *LINTED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_formatted() -> None:
    result = _run(sys.executable, "-m", "ruff", "format", "--check", *LINTED)
    assert result.returncode == 0, result.stdout + result.stderr
