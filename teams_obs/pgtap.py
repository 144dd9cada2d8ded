"""Running a pgTAP file over psycopg and judging its TAP output the way pg_prove does."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

_PLAN = re.compile(r"^1\.\.(\d+)")
_RESULT = re.compile(r"^(not )?ok (\d+)")


@dataclass
class TapResult:
    lines: list[str]
    error: str | None = None

    @property
    def planned(self) -> int | None:
        return next((int(m[1]) for line in self.lines if (m := _PLAN.match(line))), None)

    @property
    def results(self) -> list[tuple[bool, str]]:
        return [(m[1] is None or "# TODO" in line, line) for line in self.lines if (m := _RESULT.match(line))]

    @property
    def passed(self) -> bool:
        results = self.results
        return (self.error is None and self.planned == len(results) and len(results) > 0
                and all(ok for ok, _ in results))

    def failure_report(self) -> str:
        report = []
        if self.error:
            report.append(f"SQL error: {self.error}")
        if self.planned != len(self.results):
            report.append(f"planned {self.planned} tests but ran {len(self.results)}")
        capture = False
        for line in self.lines:
            if _RESULT.match(line):
                capture = line.startswith("not ok") and "# TODO" not in line
            if capture:
                report.append(line)
        return "\n".join(report)


def run_tap_file(conn: psycopg.Connection, path: Path) -> TapResult:
    """Execute a whole pgTAP file (no parameters: simple protocol, like psql) and collect its TAP."""
    lines: list[str] = []
    cursor = conn.cursor()
    try:
        cursor.execute(path.read_bytes())
        while True:
            if cursor.description is not None:
                lines.extend(str(value) for row in cursor.fetchall() for value in row if value is not None)
            if not cursor.nextset():
                break
    except psycopg.Error as exc:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
        return TapResult(lines, error=f"{exc.sqlstate}: {str(exc).strip()}")
    return TapResult([part for line in lines for part in line.split("\n")])
