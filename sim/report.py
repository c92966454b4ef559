"""Reports: what a run (or a comparison of strategies) means, at a glance.

``write(result, folder)`` produces::

    folder/report.html     one self-contained page (figures embedded) to open or project
    folder/summary.md      the same report in Markdown, figures from figures/
    folder/summary.json    KPIs, units, provenance and the scenario, machine-readable
    folder/figures/*.png   every figure of the report
    folder/dashboard.png   the key KPIs over time on one figure
    folder/<table>.csv     customers, transactions, service, timeline, truth, campaigns
    folder/run.json        provenance, column types and the scenario: Result.load(folder)

``write(runs, folder)`` with the tidy table of replicated runs of several strategies (one row
per run: ``strategy``, ``seed`` and KPI columns, as an experiment produces) writes a
comparison report instead: means with confidence intervals, paired differences to a baseline
and whether each is significant, and a figure per KPI (``report.html``, ``comparison.md``,
``runs.csv``, ``figures/``).

Everything is written into a temporary folder beside ``folder`` and renamed into place at the
end (:func:`sim.outputs.staged_folder`), so an interrupted run never leaves a half-written report
and an earlier report survives a failure.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from . import __version__
from .analytics.comparison import COMPARISON_KPIS, comparison_table
from .outputs import staged_folder
from .result import KPI_INFO

__all__ = ["COMPARISON_KPIS", "comparison_table", "write"]


def _fmt(key: str, value) -> str:
    fmt = KPI_INFO.get(key, (key, "", "{:,.4g}"))[2]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return fmt.format(value)


# -- figures ---------------------------------------------------------------------------------------
class _Figures:
    """Draws figures into files and remembers them for the HTML (embedded) and Markdown."""

    def __init__(self, folder: Path):
        self.folder = folder / "figures"
        self.folder.mkdir()
        self.png: dict[str, bytes] = {}

    def draw(self, name: str, plot: Callable, size=(7.0, 4.2)) -> str:
        from matplotlib.figure import Figure

        fig = Figure(figsize=size, layout="constrained")
        plot(fig.subplots())
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
        self.png[name] = buffer.getvalue()
        (self.folder / f"{name}.png").write_bytes(self.png[name])
        return name

    def html(self, name: str, caption: str) -> str:
        data = base64.b64encode(self.png[name]).decode("ascii")
        return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(caption)}">'
                f"<figcaption>{html.escape(caption)}</figcaption></figure>")

    @staticmethod
    def markdown(name: str, caption: str) -> str:
        return f"![{caption}](figures/{name}.png)\n\n*{caption}*"


# -- one run -------------------------------------------------------------------------------------
def _run_sections(result, figures: _Figures) -> list[tuple[str, str, list]]:
    """(title, intro, [figure name and caption, ...]) of each section of a run report."""
    from . import plots

    draw = figures.draw
    sections = [
        ("Customers", "How many customers the firm has, by segment, and where they come from "
         "and go each cycle.", [
             (draw("active_customers", lambda ax: plots.active_customers(result, ax)),
              "Active customers by segment at the end of each cycle"),
             (draw("flows", lambda ax: plots.flows(result, ax)),
              "Customers won (by channel) and lost per cycle"),
         ]),
        ("Money", "Revenue, costs and profit per cycle, and what each customer has earned.", [
            (draw("money", lambda ax: plots.money(result, ax)),
             "Revenue, all costs and profit, EUR per 30 days"),
            (draw("clv", lambda ax: plots.clv_distribution(result, ax)),
             "Realised CLV of customers acquired during the run (EUR, discounted)"),
        ]),
        ("Service", "The service centre: waits and the share answered within the target.", [
            (draw("service", lambda ax: plots.service_waits(result, ax)),
             "Mean wait and service level per cycle"),
        ]),
        ("Value and concentration", "Who brings the revenue (the Pareto rule, measured), and "
         "the customers by recency and frequency of purchase.", [
             (draw("lorenz", lambda ax: plots.lorenz(result, ax), size=(5.2, 5.0)),
              "Lorenz curve of revenue over all customers"),
             (draw("rfm", lambda ax: plots.rfm_grid(result, ax), size=(6.5, 5.0)),
              "RFM grid at the end of the run"),
         ]),
        ("Retention", "How long customers stay: cohorts of customers won in the same cycle, "
         "and Kaplan-Meier survival by segment (active customers censored at the end).", [
             (draw("retention", lambda ax: plots.retention_curves(result, ax)),
              "Retention by acquisition cohort"),
             (draw("cohorts", lambda ax: plots.cohort_heatmap(result, ax)),
              "Cohort retention table"),
             (draw("survival", lambda ax: plots.survival_curves(result, "segment", ax)),
              "Survival of customer lifetimes by segment"),
         ]),
    ]
    return sections


def _campaign_rows(result) -> list[tuple[str, str]]:
    cp = result.campaigns
    if not len(cp):
        return []
    rows = []
    for name, group in cp.groupby("campaign", observed=True, sort=False):
        rows.append((str(name), f"{len(group):,} contacts, {int(group['accepted'].sum()):,} "
                                f"accepted, EUR {group['cost'].sum():,.0f}"))
    return rows


def _run_markdown(result, summary, provenance, sections, figures) -> str:
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
    lines += ["", "Definitions: see `sim/result.py` (churn and retention compounded from the "
              "cycles; CAC = marketing spend / customers won by marketing; realised CLV "
              "discounted to day 0; ground-truth figures use what the simulation knows and a "
              "real firm does not).", ""]
    campaigns = _campaign_rows(result)
    if campaigns:
        lines += ["## Campaigns", ""] + [f"- {name}: {text}" for name, text in campaigns] + [""]
    for title, intro, items in sections:
        lines += [f"## {title}", "", intro, ""]
        for name, caption in items:
            lines += [figures.markdown(name, caption), ""]
    lines += [
        "## Files",
        "",
        "- `report.html`: this report as one page, figures embedded",
        "- `dashboard.png`: active customers by segment, customers won and lost, money, service",
        "- `timeline.csv`: one row per CRM cycle (money in EUR per cycle)",
        "- `customers.csv`: one row per customer ever acquired (observable data)",
        "- `transactions.csv`: customer_id, day, amount (lifetimes / PyMC-Marketing format)",
        "- `service.csv`: one row per call to the service centre (waits in minutes)",
        "- `channel_contacts.csv`: one row per web self-service or e-mail contact",
        "- `truth.csv`: latent ground truth per customer (never seen by the strategy)",
        "- `campaigns.csv`: one row per campaign contact (retention, cross-sell, win-back); "
        "`would_have_left` is ground truth",
        "- `run.json`: provenance, column types and the scenario; `sim.Result.load(folder)` "
        "reads the run back",
        "",
        "## Calibration sources",
        "",
        sc.sources,
        "",
    ]
    return "\n".join(lines)


_CSS = """
body { font-family: system-ui, sans-serif; max-width: 1180px; margin: 1.5em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #1b6ca8;
     padding-bottom: 0.15em; margin-top: 1.6em; }
.meta { color: #555; } .grid { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; flex: 1 1 480px; max-width: 780px; }
figure img { width: 100%; height: auto; }
figcaption { font-size: 0.9em; color: #555; text-align: center; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.95em; }
th, td { padding: 0.3em 0.8em; border-bottom: 1px solid #ddd; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.kpis { display: flex; flex-wrap: wrap; gap: 0.8em; margin: 1em 0; }
.kpi { background: #f2f6fa; border-radius: 6px; padding: 0.5em 0.9em; min-width: 10em; }
.kpi b { display: block; font-size: 1.35em; } .kpi span { font-size: 0.85em; color: #555; }
.note { color: #555; font-size: 0.9em; } .sig { font-weight: 600; }
.nosig { color: #777; font-style: italic; }
"""

#: The KPIs shown as large tiles at the top of a run report.
_HEADLINE = ("profit", "customer_equity", "annual_churn_rate", "customers_active_end",
             "top20_revenue_share", "service_level")


def _page(title: str, body: list[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _run_html(result, summary, provenance, sections, figures) -> str:
    sc = result.scenario
    e = html.escape
    body = [
        f"<h1>{e(sc.name)}: {e(result.strategy)}</h1>",
        f"<p class=\"meta\">{e(sc.description)}<br>Seed {result.seed} (replay: "
        f"<code>python -m sim run --scenario {e(sc.name)} --strategy "
        f"{e(provenance['strategy_cli'])} --seed {result.seed}</code>); {sc.horizon_days} days "
        f"in cycles of {sc.cycle_days} days; written {e(provenance['created'])} by CRM Lab "
        f"{e(__version__)}.</p>",
        "<div class=\"kpis\">",
    ]
    for key in _HEADLINE:
        if key in summary:
            label, unit, _ = KPI_INFO[key]
            body.append(f"<div class=\"kpi\"><b>{e(_fmt(key, summary[key]))}</b>"
                        f"<span>{e(label)} ({e(unit)})</span></div>")
    body += ["</div>", "<h2>Key performance indicators</h2>",
             "<table><tr><th>KPI</th><th>value</th><th>unit</th></tr>"]
    for key, value in summary.items():
        label, unit, _ = KPI_INFO.get(key, (key, "", "{}"))
        body.append(f"<tr><td>{e(label)}</td><td class=\"num\">{e(_fmt(key, value))}</td>"
                    f"<td>{e(unit)}</td></tr>")
    body.append("</table><p class=\"note\">Ground-truth KPIs (customer equity, satisfaction, "
                "retention waste) use what the simulation knows and a real firm does not. "
                "Definitions: <code>sim/result.py</code>.</p>")
    campaigns = _campaign_rows(result)
    if campaigns:
        body.append("<h2>Campaigns</h2><ul>" + "".join(
            f"<li><b>{e(name)}</b>: {e(text)}</li>" for name, text in campaigns) + "</ul>")
    for title, intro, items in sections:
        body += [f"<h2>{e(title)}</h2>", f"<p>{e(intro)}</p>", "<div class=\"grid\">"]
        body += [figures.html(name, caption) for name, caption in items]
        body.append("</div>")
    body += ["<h2>Calibration sources</h2>", f"<p class=\"note\">{e(sc.sources)}</p>"]
    return _page(f"CRM Lab: {sc.name}, {result.strategy}", body)


def _write_run(result, tmp: Path, strategy_cli: str | None) -> None:
    from .plots import dashboard

    summary = result.summary()
    provenance = {
        "scenario": result.scenario.name,
        "strategy": result.strategy,
        "strategy_cli": strategy_cli or result.strategy,
        "seed": result.seed,
        "crmlab_version": __version__,
        "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    result.to_csv(tmp)
    (tmp / "summary.json").write_text(json.dumps(
        {"provenance": provenance,
         "kpis": {k: (None if isinstance(v, float) and math.isnan(v) else v)
                  for k, v in summary.items()},
         "units": {k: KPI_INFO[k][1] for k in summary if k in KPI_INFO},
         "scenario": result.scenario.to_dict()},
        indent=2))
    fig = dashboard(result)
    fig.savefig(tmp / "dashboard.png", dpi=110)
    figures = _Figures(tmp)
    sections = _run_sections(result, figures)
    (tmp / "summary.md").write_text(_run_markdown(result, summary, provenance, sections,
                                                  figures))
    (tmp / "report.html").write_text(_run_html(result, summary, provenance, sections, figures))


# -- a comparison of strategies ------------------------------------------------------------------
def _difference_text(kpi: str, row) -> str:
    if isinstance(row["difference"], float) and math.isnan(row["difference"]):
        return "baseline"
    if isinstance(row["low"], float) and math.isnan(row["low"]):
        return f"{_fmt(kpi, row['difference'])} (one run: no interval)"
    verdict = "significant" if row["significant"] else "not significant"
    return (f"{_signed(kpi, row['difference'])} ({_fmt(kpi, row['low'])} to "
            f"{_fmt(kpi, row['high'])}), {verdict}")


def _signed(kpi: str, value: float) -> str:
    text = _fmt(kpi, value)
    return text if text.startswith("-") else "+" + text


def _write_comparison(runs: pd.DataFrame, tmp: Path, baseline: str | None, *,
                      level: float = 0.95, kpis=None) -> None:
    from . import plots

    table = comparison_table(runs, kpis, baseline=baseline, level=level)
    pct = f"{level * 100:g}%"
    base = baseline or str(runs["strategy"].iloc[0])
    runs.to_csv(tmp / "runs.csv", index=False)
    figures = _Figures(tmp)
    kpis = list(dict.fromkeys(table["kpi"]))
    n = int(runs.groupby("strategy", sort=False)["seed"].nunique().min())
    e = html.escape
    title = f"CRM Lab: {len(set(runs['strategy']))} strategies compared, {n} replications"
    body = [f"<h1>{e(title)}</h1>",
            f"<p class=\"meta\">Runs of the same seed are paired (common random numbers), so "
            f"each difference to <b>{e(base)}</b> is measured on the same market; an interval "
            f"that contains 0 means the difference is not significant at {pct}. Written "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC} by CRM Lab {e(__version__)}.</p>"]
    md = [f"# {title}", "", f"Differences are paired by seed, against `{base}`, with {pct} "
          "confidence intervals (t distribution).", ""]
    for kpi in kpis:
        label, unit, _ = KPI_INFO.get(kpi, (kpi, "", ""))
        rows = table[table["kpi"] == kpi]
        body += [f"<h2>{e(label)} ({e(unit)})</h2>",
                 "<table><tr><th>strategy</th><th>mean</th><th>difference to "
                 f"{e(base)}</th></tr>"]
        md += [f"## {label} ({unit})", "", f"| strategy | mean | difference to {base} |",
               "| --- | ---: | --- |"]
        for _, row in rows.iterrows():
            text = _difference_text(kpi, row)
            css = "sig" if row["significant"] is True else "nosig" if row["significant"] is \
                False else ""
            body.append(f"<tr><td>{e(row['strategy'])}</td><td class=\"num\">"
                        f"{e(_fmt(kpi, row['mean']))}</td><td class=\"{css}\">{e(text)}</td></tr>")
            md.append(f"| {row['strategy']} | {_fmt(kpi, row['mean'])} | {text} |")
        body.append("</table>")
        name = figures.draw(f"compare_{kpi}", lambda ax, k=kpi: plots.strategy_comparison(
            runs, k, ax, baseline=base, level=level), size=(7.0, 0.6 * len(rows) + 1.8))
        caption = f"{label}: paired difference to {base}, {pct} CI"
        body.append(figures.html(name, caption))
        md += ["", figures.markdown(name, caption), ""]
    (tmp / "comparison.md").write_text("\n".join(md) + "\n")
    (tmp / "report.html").write_text(_page(title, body))


# -- entry point -----------------------------------------------------------------------------------
def write(result_or_runs, folder: str | Path, *, strategy_cli: str | None = None,
          baseline: str | None = None) -> Path:
    """Write the report of a run, or of a comparison, into ``folder`` (replacing an earlier
    report there).

    Parameters
    ----------
    result_or_runs : Result, Comparison or pandas.DataFrame
        One run, a :class:`sim.experiments.Comparison`, or the tidy table of replicated runs
        (``strategy``, ``seed``, KPI columns).
    folder : str or Path
        Destination folder; its parent is created if needed, and whatever an earlier report
        left there is replaced whole.
    strategy_cli : str, optional
        How to name the strategy on the command line, for the replay hint (runs only).
    baseline : str, optional
        Strategy the others are compared with (comparisons only; default the first).

    Returns
    -------
    Path
        The report folder.

    Raises
    ------
    sim.outputs.OutputFolderError
        ``folder`` is a file, has no name, or is the current or home folder or above them.
    """
    folder = Path(folder)
    with staged_folder(folder) as tmp:
        if isinstance(result_or_runs, pd.DataFrame):
            _write_comparison(result_or_runs, tmp, baseline)
        elif hasattr(result_or_runs, "runs") and hasattr(result_or_runs, "baseline"):
            # A sim.experiments.Comparison: its runs, KPIs and confidence level, its baseline
            # unless told otherwise.
            cmp = result_or_runs
            _write_comparison(cmp.runs, tmp, baseline or cmp.baseline, level=cmp.level,
                              kpis=cmp.kpis)
        else:
            _write_run(result_or_runs, tmp, strategy_cli)
    return folder
