"""Command line: ``python -m sim run | compare | sweep | scenarios | exercises | tournament |
debrief``.

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
from .argtypes import number
from .errors import CRMLabError

__all__ = ["main"]

EXIT_USAGE = 2
_FIELDS_WIDTH = 100  # wrap the default and source lines of ``scenarios --fields``


_seed = number("--seed", 0, whole=True)
_factor = number("--scale", 0, above=True)


def _at_scale(scenario, strategies: list, factor: float | None):
    """The scenario and strategies ``factor`` times as large (unchanged for None)."""
    if factor is None:
        return scenario, strategies
    return (scenario.scaled(factor).replace(**{"service.queue": "batched"}),
            [s.scaled(factor) for s in strategies])


def _strategy_list(text: str) -> list[str]:
    from .strategies import PRESETS

    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in PRESETS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"--strategies {text!r}: {'unknown ' + repr(unknown[0]) if unknown else 'empty'}; "
            f"choose from {', '.join(PRESETS)}")
    if len(set(names)) < len(names):
        raise argparse.ArgumentTypeError(f"--strategies {text!r}: a strategy appears twice")
    return names


def _parser() -> argparse.ArgumentParser:
    from .strategies import PRESETS

    parser = argparse.ArgumentParser(
        prog="python -m sim",
        description="CRM Lab: simulate a firm's customers under a CRM strategy.",
        epilog="Examples:\n  python -m sim run\n"
               "  python -m sim run --scenario classroom --strategy transactional --seed 7\n"
               "  python -m sim compare --strategies transactional,full_crm --replications 30 "
               "--jobs 2\n"
               "  python -m sim scenarios --fields\n"
               "  python -m sim exercises release --out release/\n"
               "  python -m sim tournament entries/ --replications 20\n"
               "  python -m sim debrief reports/tournament/",
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
    run.add_argument("--scale", type=_factor, default=None, metavar="F",
                     help="the same market and firm F times as large (Scenario.scaled and "
                          "Preset.scaled; the batched service queue, which gives the same "
                          "results faster), e.g. 20 for 100,000 classroom customers")
    run.add_argument("--transactions", choices=("full", "compact", "none"), default="full",
                     help="transaction log kept: full, compact (32-bit, a third of the "
                          "memory) or none; KPIs and per-customer totals are the same "
                          "(default: full)")

    cmp = sub.add_parser(
        "compare", help="run several strategies on the same seeds and compare them",
        description="Run several preset strategies on the same seeds (common random numbers) "
                    "and write the tidy table of runs (runs.csv) and a comparison report: "
                    "means, paired differences to the first strategy with 95% intervals, and "
                    "which differences are significant.")
    cmp.add_argument("--scenario", default="classroom", metavar="NAME|PATH",
                     help="shipped scenario name or a .toml file (default: classroom)")
    cmp.add_argument("--strategies", required=True, type=_strategy_list, metavar="A,B,...",
                     help=f"comma-separated presets, the first is the baseline: "
                          f"{', '.join(PRESETS)}")
    cmp.add_argument("--replications", type=number("--replications", 1, whole=True),
                     default=30, metavar="N",
                     help="runs per strategy (default: 30)")
    cmp.add_argument("--seed", type=_seed, default=0, metavar="N",
                     help="seed of the first replication; the others follow (default: 0)")
    cmp.add_argument("--jobs", type=number("--jobs", 1, whole=True), default=1,
                     metavar="N",
                     help="worker processes (default: 1)")
    cmp.add_argument("--out", type=Path, default=None, metavar="DIR",
                     help="report folder (default: reports/<scenario>-compare-<seed>)")
    cmp.add_argument("--scale", type=_factor, default=None, metavar="F",
                     help="the same market and firms F times as large (see run --scale)")

    swp = sub.add_parser(
        "sweep", help="run a grid of scenario fields and strategy parameters",
        description="Run every combination of a grid read from a TOML file, on the same seeds "
                    "at every point, and write the tidy table (runs.csv) and a comparison "
                    "report with the first grid point as the baseline. GRID.toml:\n\n"
                    '  scenario = "classroom"      # optional, name or path\n'
                    '  strategy = "analytical"     # a preset\n'
                    "  replications = 10           # optional\n"
                    "  seed = 0                    # optional\n"
                    "  [grid]\n"
                    '  "strategy.offer_budget" = [1000, 3000, 5000]\n'
                    '  "service.handle_minutes" = [25.0, 35.0]\n',
        formatter_class=argparse.RawDescriptionHelpFormatter)
    swp.add_argument("grid", type=Path, metavar="GRID.toml", help="the grid file")
    swp.add_argument("--jobs", type=number("--jobs", 1, whole=True), default=1,
                     metavar="N",
                     help="worker processes (default: 1)")
    swp.add_argument("--out", type=Path, default=None, metavar="DIR",
                     help="report folder (default: reports/<grid file name>)")

    scen = sub.add_parser("scenarios", help="list the shipped scenarios",
                          description="List the shipped scenarios, or every scenario field.")
    scen.add_argument("--fields", action="store_true",
                      help="print every scenario field with its meaning, unit, allowed range, "
                           "classroom default and source")
    # The classroom commands live with their features; each adds its own subcommand.
    for module in _classroom_commands():
        module.add_parser(sub)
    return parser


def _classroom_commands():
    """The modules of ``exercises``, ``tournament`` and ``debrief`` (``add_parser``, ``main``)."""
    from .exercises import cli as exercises_cli
    from .tournament import cli as tournament_cli
    from .tournament import debrief_cli

    return exercises_cli, tournament_cli, debrief_cli


def _cmd_run(args) -> int:
    from . import report, strategies
    from .engine import run
    from .rng import fresh_seed
    from .scenario import Scenario

    scenario, (strategy,) = _at_scale(Scenario.load(args.scenario),
                                      [strategies.get(args.strategy)], args.scale)
    seed = fresh_seed() if args.seed is None else args.seed
    started = time.perf_counter()
    result = run(scenario, strategy, seed=seed, transactions=args.transactions)
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
          "run.json, figures/)")
    return 0


def _cmd_compare(args) -> int:
    from . import report, strategies
    from .experiments import compare
    from .scenario import Scenario

    scenario, chosen = _at_scale(Scenario.load(args.scenario),
                                 [strategies.get(name) for name in args.strategies], args.scale)
    started = time.perf_counter()
    result = compare(scenario, chosen, n=args.replications, seed=args.seed,
                     jobs=args.jobs if args.jobs > 1 else None)
    elapsed = time.perf_counter() - started
    out = args.out or Path("reports") / f"{scenario.name}-compare-{args.seed}"
    folder = report.write(result, out)
    print(f"Compared {len(chosen)} strategies on {scenario.name!r}, {args.replications} paired "
          f"replications (seeds {args.seed}-{args.seed + args.replications - 1}) in "
          f"{elapsed:.1f} s")
    for row in result.table[result.table["kpi"] == "profit"].itertuples():
        if row.strategy == result.baseline:
            print(f"  {row.strategy:<16} profit EUR {row.mean:,.0f} (baseline)")
        else:
            verdict = "significant" if row.significant else "not significant"
            print(f"  {row.strategy:<16} profit EUR {row.mean:,.0f}; difference "
                  f"{row.difference:+,.0f} ({row.low:+,.0f} to {row.high:+,.0f}), {verdict}")
    print(f"Report written to {folder}/ (report.html, comparison.md, runs.csv, figures/)")
    return 0


def _plain(value):
    """A numpy scalar as the Python number it holds (for readable labels)."""
    return value.item() if hasattr(value, "item") else value


_SWEEP_KEYS = {"scenario", "strategy", "replications", "seed", "grid"}


def _read_grid(path: Path) -> dict:
    """The sweep file, checked: every error names the file, the key and what is allowed."""
    import tomllib

    from .strategies import PRESETS

    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: not valid TOML: {err}") from None
    unknown = sorted(set(data) - _SWEEP_KEYS)
    if unknown:
        raise ValueError(f"{path}: unknown key {unknown[0]!r}; keys are "
                         f"{', '.join(sorted(_SWEEP_KEYS))}")
    if data.get("strategy") not in PRESETS:
        raise ValueError(f"{path}: strategy = {data.get('strategy')!r}: choose one of "
                         f"{', '.join(PRESETS)}")
    grid = data.get("grid")
    if not isinstance(grid, dict) or not grid:
        raise ValueError(f"{path}: [grid] must list at least one field with a list of values")
    for key in ("replications", "seed"):
        value = data.get(key, 10 if key == "replications" else 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < (key == "replications"):
            raise ValueError(f"{path}: {key} = {value!r}: must be a whole number >= "
                             f"{int(key == 'replications')}")
        data[key] = value
    return data


def _cmd_sweep(args) -> int:
    from . import report, strategies
    from .experiments import sweep
    from .scenario import Scenario

    spec = _read_grid(args.grid)
    scenario_ref = spec.get("scenario", "classroom")
    if scenario_ref.endswith(".toml") and not Path(scenario_ref).is_absolute():
        scenario_ref = str(args.grid.parent / scenario_ref)  # relative to the grid file
    scenario = Scenario.load(scenario_ref)
    grid = spec["grid"]
    started = time.perf_counter()
    table = sweep(scenario, strategies.get(spec["strategy"]), grid, n=spec["replications"],
                  seed=spec["seed"], jobs=args.jobs if args.jobs > 1 else None)
    elapsed = time.perf_counter() - started
    # Each grid point is a "strategy" of the comparison report, named by its values.
    runs = table.copy()
    runs.insert(0, "point", [", ".join(f"{k.removeprefix('strategy.')}={_plain(row[k])!r}"
                                       for k in grid) for _, row in table.iterrows()])
    runs["strategy"] = runs["point"]
    out = args.out or Path("reports") / args.grid.stem
    folder = report.write(runs, out)
    print(f"Swept {runs['point'].nunique()} grid points x {spec['replications']} replications "
          f"of {spec['strategy']!r} on {scenario.name!r} in {elapsed:.1f} s")
    print(f"Report written to {folder}/ (report.html, comparison.md, runs.csv, figures/)")
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
        commands = {"run": _cmd_run, "compare": _cmd_compare, "sweep": _cmd_sweep,
                    "scenarios": _cmd_scenarios}
        exercises_cli, tournament_cli, debrief_cli = _classroom_commands()
        commands.update(exercises=exercises_cli.main, tournament=tournament_cli.main,
                        debrief=debrief_cli.main)
        return commands[args.command](args)
    except CRMLabError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted: no report was written", file=sys.stderr)
        return 130
