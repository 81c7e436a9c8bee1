"""Pytest plugin: tie tests to the Circular 54/2017/TT-BYT criteria they demonstrate.

* registers the marker ``criterion(*numbers)``;
* fails the run at collection when a ``criterion`` marker has no argument or
  names a number that is not a criterion of Appendix I (1..146);
* ``--criteria-report=PATH`` writes, after the session, a JSON file::

    {"criteria": {"31": {"tests": [nodeid, ...], "passed": n, "failed": n, "skipped": n}, ...},
     "uncovered": [numbers with no test]}

  Each test counts once: failed if any phase failed (a setup or teardown error
  counts as failed), skipped if it was skipped (xfail included), else passed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final, Literal

import pytest

from his.kernel.criteria import load_criteria

MARKER: Final = "criterion"
_REPORTER_NAME: Final = "circular54-criteria-report"

Outcome = Literal["passed", "failed", "skipped"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("criteria", "Circular 54 criteria coverage")
    group.addoption(
        "--criteria-report",
        action="store",
        dest="criteria_report",
        default=None,
        metavar="PATH",
        help="write a JSON report of the Circular 54 criteria demonstrated by the tests to PATH",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*numbers): the Circular 54 criteria this test demonstrates",
    )
    path = config.getoption("criteria_report")
    if path:
        report_path = Path(config.invocation_params.dir, path)
        config.pluginmanager.register(CriteriaReport(report_path), _REPORTER_NAME)


def pytest_unconfigure(config: pytest.Config) -> None:
    reporter = config.pluginmanager.get_plugin(_REPORTER_NAME)
    if reporter is not None:
        config.pluginmanager.unregister(reporter, _REPORTER_NAME)


def _marker_errors(item: pytest.Item, known: frozenset[int]) -> list[str]:
    errors: list[str] = []
    for mark in item.iter_markers(name=MARKER):
        if not mark.args:
            errors.append(f"{item.nodeid}: @pytest.mark.{MARKER} needs at least one criterion number")
        if mark.kwargs:
            errors.append(f"{item.nodeid}: @pytest.mark.{MARKER} takes no keyword arguments")
        for arg in mark.args:
            if isinstance(arg, bool) or not isinstance(arg, int) or arg not in known:
                errors.append(
                    f"{item.nodeid}: @pytest.mark.{MARKER}({arg!r}) is not a Circular 54 criterion"
                    f" (expected an integer in {min(known)}..{max(known)})"
                )
    return errors


def criterion_numbers(item: pytest.Item) -> tuple[int, ...]:
    """The sorted criterion numbers named by ``item``'s markers (class and module ones included)."""
    numbers: set[int] = set()
    for mark in item.iter_markers(name=MARKER):
        numbers.update(arg for arg in mark.args if isinstance(arg, int))
    return tuple(sorted(numbers))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # tryfirst: validate before -k/-m deselection, so every bad marker is reported.
    known = frozenset(load_criteria())
    errors: list[str] = []
    for item in items:
        for error in _marker_errors(item, known):
            if error not in errors:
                errors.append(error)
    if errors:
        raise pytest.UsageError("invalid criterion markers:\n  " + "\n  ".join(errors))


class CriteriaReport:
    """Collects outcomes of criterion-marked tests and writes the JSON report."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._numbers: dict[str, tuple[int, ...]] = {}
        self._outcomes: dict[str, Outcome] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._numbers = {}
        for item in session.items:
            numbers = criterion_numbers(item)
            if numbers:
                self._numbers[item.nodeid] = numbers

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        nodeid = report.nodeid
        if nodeid not in self._numbers or self._outcomes.get(nodeid) == "failed":
            return
        if report.failed:
            self._outcomes[nodeid] = "failed"
        elif report.when == "call":
            self._outcomes[nodeid] = "skipped" if report.skipped else "passed"
        elif report.when == "setup" and report.skipped:
            self._outcomes[nodeid] = "skipped"

    def build(self) -> dict[str, object]:
        tests: dict[int, list[str]] = {}
        for nodeid, numbers in self._numbers.items():
            for number in numbers:
                tests.setdefault(number, []).append(nodeid)
        criteria: dict[str, dict[str, object]] = {}
        for number in sorted(tests):
            counts: dict[Outcome, int] = {"passed": 0, "failed": 0, "skipped": 0}
            for nodeid in tests[number]:
                outcome = self._outcomes.get(nodeid)
                if outcome is not None:
                    counts[outcome] += 1
            criteria[str(number)] = {
                "tests": tests[number],
                "passed": counts["passed"],
                "failed": counts["failed"],
                "skipped": counts["skipped"],
            }
        uncovered = [number for number in load_criteria() if number not in tests]
        return {"criteria": criteria, "uncovered": uncovered}

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.build(), indent=2, ensure_ascii=False)
        self.path.write_text(text + "\n", encoding="utf-8")

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        terminalreporter.write_sep("-", f"Circular 54 criteria report: {self.path}")
