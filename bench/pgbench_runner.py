"""Running pgbench contenders against each other: alternating rounds, medians, ratios to a baseline.

A contender is a pgbench script plus its variables. Every round runs every contender once per client
count, the order flipped each round, so drift (table growth, checkpoints, other load on the machine)
hits all contenders alike; the report gives each contender's median transactions per second and its
ratio to the baseline's median in the same run.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from teams_obs.embedded import pg_bindir

_TPS = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)", re.MULTILINE)


@dataclass(frozen=True)
class Contender:
    name: str
    script: str
    variables: dict[str, str] = field(default_factory=dict)
    url: str | None = None  # another database than the run's (e.g. one configured differently)


def connection_args(url: str) -> list[str]:
    parts = urlsplit(url)
    return ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres",
            parts.path.lstrip("/") or "postgres"]


def pgbench_binary() -> str:
    bundled = pg_bindir() / "pgbench"
    return str(bundled) if bundled.exists() else "pgbench"


def run_pgbench(url: str, contender: Contender, clients: int, seconds: int) -> float:
    """Transactions per second of one pgbench run (prepared statements: the hot path of a pooled app)."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
        script.write(contender.script)
        script.flush()
        defines = [arg for name, value in contender.variables.items() for arg in ("-D", f"{name}={value}")]
        run = subprocess.run(
            [pgbench_binary(), "-n", "-M", "prepared", "-c", str(clients), "-j", str(clients), "-T", str(seconds),
             "-f", script.name, *defines, *connection_args(url)],
            capture_output=True, text=True, check=False)
    match = _TPS.search(run.stdout)
    if run.returncode != 0 or match is None:
        raise RuntimeError(f"pgbench failed for {contender.name}:\n{run.stdout}\n{run.stderr}")
    return float(match[1])


@dataclass
class Results:
    contenders: list[Contender]
    tps: dict[tuple[str, int], list[float]] = field(default_factory=dict)

    def median(self, name: str, clients: int) -> float:
        return statistics.median(self.tps[name, clients])

    def paired_ratio(self, name: str, baseline: str, clients: int) -> float:
        """Median over the rounds of the ratio within each round: contenders of one round ran back to back,
        so slow drift of the machine (a disk whose fsync latency wanders) cancels out of it."""
        return statistics.median(t / b for t, b in zip(self.tps[name, clients], self.tps[baseline, clients],
                                                        strict=True))

    def markdown(self, baseline: str, client_counts: Iterable[int]) -> str:
        lines = [f"| contender | clients | median tps | runs (tps) | ratio of medians to {baseline} "
                 "| median per-round ratio |",
                 "|---|---|---|---|---|---|"]
        for clients in client_counts:
            base = self.median(baseline, clients)
            for contender in self.contenders:
                runs = ", ".join(f"{t:.0f}" for t in self.tps[contender.name, clients])
                ratio = self.median(contender.name, clients) / base
                paired = self.paired_ratio(contender.name, baseline, clients)
                lines.append(f"| {contender.name} | {clients} | {self.median(contender.name, clients):.0f} | "
                             f"{runs} | {ratio:.2f}x | {paired:.2f}x |")
        return "\n".join(lines)


def alternate(url: str, contenders: list[Contender], client_counts: Iterable[int], rounds: int, seconds: int,
              before_each: Callable[[], None] | None = None) -> Results:
    """``rounds`` rounds; in each, every client count and every contender (order reversed on odd rounds)."""
    results = Results(contenders)
    client_counts = list(client_counts)
    for number in range(rounds):
        order = contenders if number % 2 == 0 else list(reversed(contenders))
        for clients in client_counts:
            for contender in order:
                if before_each is not None:
                    before_each()
                tps = run_pgbench(contender.url or url, contender, clients, seconds)
                results.tps.setdefault((contender.name, clients), []).append(tps)
                print(f"round {number + 1}/{rounds} clients={clients} {contender.name}: {tps:.0f} tps", flush=True)
    return results
