"""Running pgbench contenders against each other: rounds, medians, ratios to a baseline.

A contender is a pgbench script plus its variables. Two ways to run a round, per client count:
- ``alternate``: one pgbench run per contender, the order flipped each round, so slow drift (table
  growth, checkpoints, other load on the machine) hits all contenders alike;
- ``mix``: one pgbench run of all the contenders' scripts, one picked at random per transaction, so the
  contenders share every moment of the machine; a contender's figure is the throughput at its mean
  latency in that run.
The report gives each contender's median transactions per second and its ratio to the baseline.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from teams_obs.embedded import pg_bindir

_TPS = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)", re.MULTILINE)
_SCRIPT_LATENCY = re.compile(r"^SQL script (\d+): .*\n(?:.*\n)*? - latency average = ([0-9.]+) ms", re.MULTILINE)


@dataclass(frozen=True)
class Contender:
    name: str
    script: str
    variables: dict[str, str] = field(default_factory=dict)
    url: str | None = None  # another database than the run's (e.g. one configured differently)




def pgbench_binary() -> str:
    bundled = pg_bindir() / "pgbench"
    return str(bundled) if bundled.exists() else "pgbench"


def pgbench(url: str, contenders: list[Contender], clients: int, seconds: int, transactions: int | None = None,
            query_mode: str = "prepared") -> str:
    """The output of one pgbench run of the contenders' scripts, equally weighted, for ``seconds``, or
    ``transactions`` per client when given. Prepared statements by default (the hot path of a pooled app);
    ``query_mode="simple"``, pgbench's own default, sends and parses each statement's text per call."""
    variables: dict[str, str] = {}
    for contender in contenders:
        for name, value in contender.variables.items():
            if variables.setdefault(name, value) != value:
                raise ValueError(f"contenders of one pgbench run give variable {name} different values")
    with tempfile.TemporaryDirectory() as directory:
        scripts = []
        for number, contender in enumerate(contenders, start=1):
            path = f"{directory}/{number}.sql"
            with open(path, "w") as script:
                script.write(contender.script)
            scripts += ["-f", f"{path}@1"]
        defines = [arg for name, value in variables.items() for arg in ("-D", f"{name}={value}")]
        length = ["-t", str(transactions)] if transactions else ["-T", str(seconds)]
        run = subprocess.run(
            [pgbench_binary(), "-n", "-M", query_mode, "-c", str(clients), "-j", str(clients), *length,
             *scripts, *defines, url],
            capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"pgbench failed for {', '.join(c.name for c in contenders)}:\n{run.stdout}\n{run.stderr}")
    return run.stdout


def run_pgbench(url: str, contender: Contender, clients: int, seconds: int, transactions: int | None = None) -> float:
    """Transactions per second of one pgbench run of the contender alone."""
    output = pgbench(url, [contender], clients, seconds, transactions)
    match = _TPS.search(output)
    if match is None:
        raise RuntimeError(f"pgbench printed no tps for {contender.name}:\n{output}")
    return float(match[1])


def run_mixed(url: str, contenders: list[Contender], clients: int, seconds: int,
              query_mode: str = "prepared") -> dict[str, float]:
    """Each contender's transactions per second at its mean latency in one pgbench run mixing them all."""
    output = pgbench(url, contenders, clients, seconds, query_mode=query_mode)
    latencies = {int(number): float(ms) for number, ms in _SCRIPT_LATENCY.findall(output)}
    if sorted(latencies) != list(range(1, len(contenders) + 1)):
        raise RuntimeError(f"pgbench printed no per-script latencies:\n{output}")
    return {contender.name: 1000.0 * clients / latencies[number]
            for number, contender in enumerate(contenders, start=1)}


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


def mix(url: str, contenders: list[Contender], client_counts: Iterable[int], rounds: int, seconds: int,
        before_each: Callable[[], None] | None = None) -> Results:
    """``rounds`` rounds; in each, one mixed pgbench run (``run_mixed``) per client count."""
    results = Results(contenders)
    client_counts = list(client_counts)
    for number in range(rounds):
        for clients in client_counts:
            if before_each is not None:
                before_each()
            for name, tps in run_mixed(url, contenders, clients, seconds).items():
                results.tps.setdefault((name, clients), []).append(tps)
            print(f"round {number + 1}/{rounds} clients={clients}: " + ", ".join(
                f"{name} {results.tps[name, clients][-1]:.0f} tps" for name in (c.name for c in contenders)),
                flush=True)
    return results
