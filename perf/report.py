"""Prints a Locust run (`--csv PREFIX`) as Markdown: per endpoint the requests, failures, p50/p95/p99 and
requests per second, then the failures with their reasons, then the Circular 54 criterion 105 verdict (every
task answers in under 10 s).

    python perf/report.py var/load/load

Locust's percentiles are histogram buckets: exact below 100 ms, rounded to 10 ms below 1 s and to 100 ms above.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

CRITERION_105_MS = 10_000  # Circular 54 criterion 105: every task answers in under 10 seconds
AGGREGATED = "Aggregated"


@dataclass(frozen=True, slots=True)
class Row:
    endpoint: str
    requests: int
    failures: int
    p50: str
    p95: str
    p99: str
    per_second: float

    @property
    def p99_ms(self) -> float | None:
        return None if self.p99 in ("", "N/A") else float(self.p99)


def read_stats(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as stream:
        return [
            Row(
                endpoint=f"{line['Type']} {line['Name']}".strip() if line["Name"] != AGGREGATED else AGGREGATED,
                requests=int(line["Request Count"]),
                failures=int(line["Failure Count"]),
                p50=line["50%"],
                p95=line["95%"],
                p99=line["99%"],
                per_second=float(line["Requests/s"]),
            )
            for line in csv.DictReader(stream)
        ]


def read_failures(path: Path) -> list[tuple[str, str, int]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as stream:
        return [
            (f"{line['Method']} {line['Name']}", line["Error"], int(line["Occurrences"]))
            for line in csv.DictReader(stream)
        ]


def stats_table(rows: list[Row]) -> list[str]:
    lines = [
        "| endpoint | requests | failures | p50 (ms) | p95 (ms) | p99 (ms) | req/s |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        name = f"**{row.endpoint}**" if row.endpoint == AGGREGATED else f"`{row.endpoint}`"
        lines.append(
            f"| {name} | {row.requests:,} | {row.failures:,} | {row.p50} | {row.p95} | {row.p99} "
            f"| {row.per_second:.2f} |"
        )
    return lines


def failures_table(failures: list[tuple[str, str, int]]) -> list[str]:
    if not failures:
        return ["No failures."]
    lines = ["| endpoint | reason | occurrences |", "|---|---|--:|"]
    lines += [f"| `{endpoint}` | {reason.replace('|', '/')} | {count:,} |" for endpoint, reason, count in failures]
    return lines


def verdict(rows: list[Row]) -> str:
    endpoints = [row for row in rows if row.endpoint != AGGREGATED]
    slow = [row for row in endpoints if row.p99_ms is None or row.p99_ms >= CRITERION_105_MS]
    worst = max(endpoints, key=lambda row: row.p99_ms or 0.0, default=None)
    if worst is None:
        return "Criterion 105: no requests were made."
    if slow:
        names = ", ".join(f"`{row.endpoint}` ({row.p99} ms)" for row in slow)
        return f"Criterion 105 (every task under 10 s): **not met** at p99 for {names}."
    return (
        f"Criterion 105 (every task under 10 s): **met** — every endpoint's p99 is under 10,000 ms "
        f"(highest: `{worst.endpoint}`, {worst.p99} ms)."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("prefix", nargs="?", default="var/load/load", help="the --csv prefix given to Locust")
    args = parser.parse_args(argv)
    stats = Path(f"{args.prefix}_stats.csv")
    if not stats.exists():
        print(f"{stats} not found: run Locust with --csv {args.prefix}", file=sys.stderr)
        return 2
    rows = read_stats(stats)
    out = [*stats_table(rows), "", *failures_table(read_failures(Path(f"{args.prefix}_failures.csv"))), ""]
    out.append(verdict(rows))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
