"""Reports: a folder with the summary, the tables and a dashboard of one run.

``write(result, folder)`` produces::

    folder/summary.md      KPIs with units and definitions, provenance (scenario, strategy, seed)
    folder/summary.json    the same, machine-readable
    folder/<table>.csv     customers, transactions, service, timeline, truth, campaigns
    folder/dashboard.png   the key KPIs over time

Everything is written into a temporary folder beside ``folder`` and renamed into place at the
end, so an interrupted run never leaves a half-written report.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .result import KPI_INFO

__all__ = ["write"]


def _fmt(key: str, value) -> str:
    fmt = KPI_INFO.get(key, (key, "", "{}"))[2]
    if isinstance(value, float) and math.isnan(value):
        return "n/a"
    return fmt.format(value)


def _markdown(result, summary: dict, provenance: dict) -> str:
    sc = result.scenario
    lines = [
        f"# CRM Lab report: {sc.name}, strategy {result.strategy}",
        "",
        f"*{sc.description}*",
        "",
        f"- Strategy: **{result.strategy}**",
        f"- Seed: `{result.seed}` (replay: `python -m sim run --scenario {sc.name} "
        f"--strategy {provenance['strategy_cli']} --seed {result.seed}`)",
        f"- Horizon: {sc.horizon_days} days in cycles of {sc.cycle_days} days",
        f"- Written {provenance['created']} by CRM Lab {__version__}",
        "",
        "## Key performance indicators",
        "",
        "| KPI | value | unit |",
        "| --- | ---: | --- |",
    ]
    for key, value in summary.items():
        label, unit, _ = KPI_INFO.get(key, (key, "", "{}"))
        lines.append(f"| {label} | {_fmt(key, value)} | {unit} |")
    lines += [
        "",
        "Definitions: see `sim/result.py` (churn and retention compounded from the cycles; CAC "
        "= marketing spend / customers won by marketing; realised CLV discounted to day 0; "
        "ground-truth figures use what the simulation knows and a real firm does not).",
        "",
        "## Files",
        "",
        "- `dashboard.png`: active customers by segment, customers won and lost, money, service",
        "- `timeline.csv`: one row per CRM cycle (money in EUR per cycle)",
        "- `customers.csv`: one row per customer ever acquired (observable data)",
        "- `transactions.csv`: customer_id, day, amount (lifetimes / PyMC-Marketing format)",
        "- `service.csv`: one row per service contact (waits in minutes)",
        "- `truth.csv`: latent ground truth per customer (never seen by the strategy)",
        "- `campaigns.csv`: one row per campaign contact (retention, cross-sell, win-back); "
        "`would_have_left` is ground truth",
        "",
        "## Calibration sources",
        "",
        sc.sources,
        "",
    ]
    return "\n".join(lines)


def write(result, folder: str | Path, *, strategy_cli: str | None = None) -> Path:
    """Write the report of ``result`` into ``folder`` (replacing an earlier report there).

    Parameters
    ----------
    result : Result
    folder : str or Path
        Destination folder; its parent is created if needed.
    strategy_cli : str, optional
        How to name the strategy on the command line, for the replay hint.

    Returns
    -------
    Path
        The report folder.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    summary = result.summary()
    provenance = {
        "scenario": result.scenario.name,
        "strategy": result.strategy,
        "strategy_cli": strategy_cli or result.strategy,
        "seed": result.seed,
        "crmlab_version": __version__,
        "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a report is meant to be shared
    try:
        result.to_csv(tmp)
        (tmp / "summary.json").write_text(json.dumps(
            {"provenance": provenance,
             "kpis": {k: (None if isinstance(v, float) and math.isnan(v) else v)
                      for k, v in summary.items()},
             "units": {k: KPI_INFO[k][1] for k in summary if k in KPI_INFO},
             "scenario": result.scenario.to_dict()},
            indent=2))
        (tmp / "summary.md").write_text(_markdown(result, summary, provenance))
        from .plots import dashboard

        fig = dashboard(result)
        fig.savefig(tmp / "dashboard.png", dpi=110)
        old = None
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old")
            if old.exists():
                shutil.rmtree(old)
            folder.rename(old)
        tmp.rename(folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder
