"""Command line: ``python -m sim run | scenarios``.

Errors in what the user typed or wrote (unknown scenario, bad TOML, invalid value, bad seed)
print one line naming the file, the field, the value and what is allowed, and exit with
status 2, never a traceback. The library never prints; this module does.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from pathlib import Path

from . import __version__
from .errors import CRMLabError

__all__ = ["main"]

EXIT_USAGE = 2
_FIELDS_WIDTH = 100  # wrap the default and source lines of ``scenarios --fields``


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed {text!r}: must be a whole number >= 0") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"--seed {value}: must be a whole number >= 0")
    return value


def _parser() -> argparse.ArgumentParser:
    from .strategies import PRESETS

    parser = argparse.ArgumentParser(
        prog="python -m sim",
        description="CRM Lab: simulate a firm's customers under a CRM strategy.",
        epilog="Examples:\n  python -m sim run\n"
               "  python -m sim run --scenario classroom --strategy transactional --seed 7\n"
               "  python -m sim scenarios --fields",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"CRM Lab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run one scenario under one strategy and write a report",
                         description="Run one scenario under one strategy and write a report "
                                     "folder (summary.md/.json, tables as CSV, dashboard.png).")
    run.add_argument("--scenario", default="classroom", metavar="NAME|PATH",
                     help="shipped scenario name or a .toml file (default: classroom)")
    run.add_argument("--strategy", default="operational", choices=sorted(PRESETS),
                     metavar="NAME",
                     help=f"preset strategy: {', '.join(PRESETS)} (default: operational)")
    run.add_argument("--seed", type=_seed, default=None, metavar="N",
                     help="random seed (default: a fresh one, printed so you can replay)")
    run.add_argument("--out", type=Path, default=None, metavar="DIR",
                     help="report folder (default: reports/<scenario>-<strategy>-<seed>)")

    scen = sub.add_parser("scenarios", help="list the shipped scenarios",
                          description="List the shipped scenarios, or every scenario field.")
    scen.add_argument("--fields", action="store_true",
                      help="print every scenario field with its meaning, unit, allowed range, "
                           "classroom default and source")
    return parser


def _cmd_run(args) -> int:
    from . import report, strategies
    from .engine import run
    from .rng import fresh_seed
    from .scenario import Scenario

    scenario = Scenario.load(args.scenario)
    strategy = strategies.get(args.strategy)
    seed = fresh_seed() if args.seed is None else args.seed
    started = time.perf_counter()
    result = run(scenario, strategy, seed=seed)
    elapsed = time.perf_counter() - started
    out = args.out or Path("reports") / f"{scenario.name}-{args.strategy}-{seed}"
    folder = report.write(result, out, strategy_cli=args.strategy)
    s = result.summary()
    print(f"Simulated {scenario.name!r} under {result.strategy!r}, seed {seed}, "
          f"{scenario.horizon_days} days in {elapsed:.2f} s")
    print(f"  active customers {s['customers_start']:,} -> {s['customers_active_end']:,}; "
          f"annual churn {s['annual_churn_rate']:.1%}; profit EUR {s['profit']:,.0f}; "
          f"service level {s['service_level']:.0%}")
    print(f"Report written to {folder}/ (report.html, summary.md, summary.json, *.csv, "
          "figures/)")
    return 0


def _cmd_scenarios(args) -> int:
    from .scenario import available, field_table

    if args.fields:
        rows = field_table()
        width = max(len(r["field"]) for r in rows)
        indent = " " * (width + 2)
        print(textwrap.fill(
            "Every scenario field: meaning [unit]; allowed values; then its default (the value "
            "in the classroom scenario, per segment for segments[] fields) and the source of the "
            "value or its range.", _FIELDS_WIDTH) + "\n")
        for r in rows:
            unit = f" [{r['unit']}]" if r["unit"] else ""
            print(f"{r['field']:<{width}}  {r['meaning']}{unit}; allowed: {r['allowed']}")
            for label in ("default", "source"):
                print(textwrap.fill(f"{label}: {r[label]}", _FIELDS_WIDTH, initial_indent=indent,
                                    subsequent_indent=indent + "  ", break_on_hyphens=False))
        return 0
    names = available()
    width = max(map(len, names))
    for name, description in names.items():
        print(f"{name:<{width}}  {description}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m sim``; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return {"run": _cmd_run, "scenarios": _cmd_scenarios}[args.command](args)
    except CRMLabError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted: no report was written", file=sys.stderr)
        return 130
