"""``python -m sim tournament ENTRIES/``: the tournament's command line.

:func:`add_parser` adds the ``tournament`` subcommand to ``python -m sim``'s parser, and
:func:`main` runs it: the tournament, its folder (:func:`sim.tournament.output.write`), and the
leaderboard and incidents printed. Bad arguments raise ``ValueError`` (or a
``sim.errors.CRMLabError`` for a bad scenario), which ``python -m sim`` turns into one line and
exit status 2; a worker that cannot start at all (the machine, not an entry) prints an error
and exits with status 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..argtypes import number
from .output import incident_summary, leaderboard_text, write
from .proxy import FALLBACK_LAST
from .result import OBJECTIVES
from .runner import DEFAULT_PRESETS, run_tournament
from .sandbox import SandboxError

__all__ = ["add_parser", "main"]

#: Seeds below this an entry could find by trying them one by one (sim.rng.fresh_seed draws
#: from 2**63).
_GUESSABLE = 2**32

_DESCRIPTION = """\
Run a tournament: every team's strategy, and preset strategies as yardsticks, on the same
replications of one scenario (common random numbers), ranked by an objective with 95%
intervals; neighbours whose paired difference is not significant are marked.

ENTRIES/ holds one Python file per team (team name = file stem; files starting with _ or . are
skipped), each defining strategy(view) -> sim.Actions, the same function as in the exercises.

Each entry runs sandboxed in a worker process of its own. What holds whatever it does: it
is handed only the observable view of its own runs (the latent truth, the engine, the runs'
seeds and other entries stay in the tournament's process), and it is killed past
--decision-timeout seconds per decision or --memory-mb of memory. On Linux the operating system
also confines it: no network at all, the entries, output, working, home and temporary folders
and other processes invisible, a user id of its own (run as root), no privileges. Inside, an
audit hook refuses reading other files, writing, starting processes, the network and C-level
access (not proof against an attacker who corrupts the interpreter's memory: that is what the
operating-system layers are for). Layers the system does not offer (macOS, containers without
namespaces) are reported as missing; run strangers' entries in a container or VM then.

A cycle the entry does not decide (an exception, a time-out, a memory failure, a crash,
invalid actions, a refused operation, a file that does not load) is decided by the fallback
and recorded in incidents.csv with the reason:

  last      (default) the entry's last valid actions without their campaign lists
            (retention, cross-sell and win-back contacts); sim.Actions() defaults (no
            marketing, one agent) before its first valid decision
  PRESET    a preset decides the cycle, e.g. --fallback transactional

After --max-strikes time-outs, memory failures or crashes in one run (and at once for a file
that does not load) the entry sits out the rest of the run on the fallback.

Writes OUT/: leaderboard.md, leaderboard.csv, runs.csv, timelines.csv, incidents.csv and
tournament.json (seed, settings, limits, confinement layers, entries' sha256).

The seed is the tournament's secret (with a run's seed an entry could replay its market and
read the latent truth): by default a fresh one is drawn, printed and recorded in
tournament.json; give it with --seed to replay the tournament exactly."""

_EPILOG = """\
Examples:
  python -m sim tournament examples/tournament --replications 10
  python -m sim tournament entries/ --scenario retail --objective customer_equity \\
      --horizon-days 730 --presets transactional,full_crm --jobs 2 --out reports/class-cup"""


def _presets(text: str) -> tuple[str, ...]:
    from ..strategies import PRESETS

    if text.strip().lower() in ("", "none"):
        return ()
    names = tuple(t.strip() for t in text.split(",") if t.strip())
    unknown = [n for n in names if n not in PRESETS]
    if unknown:
        raise argparse.ArgumentTypeError(f"--presets {text!r}: unknown {unknown[0]!r}; choose "
                                         f"from {', '.join(PRESETS)}, or none")
    if len(set(names)) < len(names):
        raise argparse.ArgumentTypeError(f"--presets {text!r}: a preset appears twice")
    return names


def _fallback(text: str) -> str:
    from ..strategies import PRESETS

    if text != FALLBACK_LAST and text not in PRESETS:
        raise argparse.ArgumentTypeError(f"--fallback {text!r}: choose {FALLBACK_LAST} or a "
                                         f"preset: {', '.join(PRESETS)}")
    return text


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``tournament`` subcommand to ``subparsers`` (from ``add_subparsers``)."""
    p = subparsers.add_parser(
        "tournament", help="run teams' strategy files against each other, sandboxed",
        description=_DESCRIPTION, epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("entries", type=Path, metavar="ENTRIES/",
                   help="folder of team files, one strategy(view) per .py file")
    p.add_argument("--scenario", default="classroom", metavar="NAME|PATH",
                   help="shipped scenario name or a .toml file (default: classroom)")
    p.add_argument("--replications", type=number("--replications", 1, whole=True), default=10,
                   metavar="N", help="runs per team and preset (default: 10)")
    p.add_argument("--seed", type=number("--seed", 0, whole=True), default=None, metavar="N",
                   help="seed of the first replication; the others follow (default: a fresh "
                        "one, printed and recorded: give it again to replay the tournament)")
    p.add_argument("--objective", choices=tuple(OBJECTIVES), default="profit",
                   help="what the leaderboard ranks by: " + "; ".join(
                       f"{k}: {v}" for k, v in OBJECTIVES.items()).replace("%", "%%")
                   + " (default: profit)")
    p.add_argument("--horizon-days", type=number("--horizon-days", 1, whole=True), default=None,
                   metavar="D", help="the scenario's horizon changed to D days")
    p.add_argument("--decision-timeout", type=number("--decision-timeout", 0.01), default=5.0,
                   metavar="S", help="wall-clock seconds per decision (default: 5)")
    p.add_argument("--memory-mb", type=number("--memory-mb", 64), default=1024.0, metavar="M",
                   help="memory an entry may use on top of Python, numpy and pandas, MB "
                        "(default: 1024)")
    p.add_argument("--presets", type=_presets, default=DEFAULT_PRESETS, metavar="A,B",
                   help=f"presets playing as yardsticks, or none (default: "
                        f"{','.join(DEFAULT_PRESETS)})")
    p.add_argument("--fallback", type=_fallback, default=FALLBACK_LAST, metavar="last|PRESET",
                   help="what decides a cycle an entry did not (default: last; see above)")
    p.add_argument("--max-strikes", type=number("--max-strikes", 1, whole=True), default=3,
                   metavar="N", help="time-outs, memory failures and crashes in a run before "
                                     "the entry sits it out (default: 3)")
    p.add_argument("--jobs", type=number("--jobs", 1, whole=True), default=1, metavar="N",
                   help="teams played side by side in worker processes (default: 1); the "
                        "tables are the same")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="results folder (default: reports/<scenario>-tournament-<seed>)")
    return p


def main(args: argparse.Namespace) -> int:
    """Run the ``tournament`` subcommand with parsed ``args``; returns the exit status."""
    started = time.perf_counter()
    try:
        result = run_tournament(
            args.entries, args.scenario, replications=args.replications, seed=args.seed,
            objective=args.objective, horizon_days=args.horizon_days, presets=args.presets,
            fallback=args.fallback, decision_timeout=args.decision_timeout,
            memory_mb=args.memory_mb, max_strikes=args.max_strikes,
            jobs=args.jobs if args.jobs > 1 else None,
            private=[args.out] if args.out is not None else [], progress=True)
    except SandboxError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    name = Path(result.scenario).stem if result.scenario.endswith(".toml") else result.scenario
    seed = result.settings["seed"]
    out = args.out or Path("reports") / f"{name}-tournament-{seed}"
    folder = write(result, out)
    seeds = result.seeds
    print(f"Tournament on {result.scenario!r}: {len(result.teams)} teams and "
          f"{len(result.presets)} presets, {len(seeds)} replications (seeds {seeds[0]}-"
          f"{seeds[-1]}), {result.settings['horizon_days']} days, ranked by {result.objective} "
          f"(EUR), in {elapsed:.1f} s")
    print(f"Seed {seed}: replay this tournament with --seed {seed}")
    if args.seed is not None and args.seed < _GUESSABLE:
        print(f"warning: seed {args.seed} is small enough for an entry to find by trying seeds "
              "and replaying its market; leave --seed out for a real tournament (a fresh seed "
              "is drawn)", file=sys.stderr)
    confinement = result.settings.get("confinement") or {}
    for layer, why in (confinement.get("missing") or {}).items():
        print(f"warning: sandbox layer {layer} missing: {why}", file=sys.stderr)
    print(leaderboard_text(result))
    summary = incident_summary(result)
    if summary.empty:
        print("Incidents: none, every entry decided every cycle.")
    else:
        print(f"Incidents: {len(result.incidents)} (all in incidents.csv)")
        for row in summary.itertuples():
            runs = f"{row.runs} run{'s' if row.runs != 1 else ''}"
            print(f"  {row.team}: {row.count} x {row.kind} in {runs}: {str(row.detail)[:160]}")
            print(f"    fallback: {row.fallback}")
    print(f"Results written to {folder}/ (leaderboard.md, leaderboard.csv, runs.csv, "
          "timelines.csv, incidents.csv, tournament.json)")
    return 0
