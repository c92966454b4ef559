"""A tournament's folder: its tables as CSV, the leaderboard in Markdown, the settings in JSON.

``write(result, folder)`` produces::

    folder/leaderboard.md    the leaderboard, the yardsticks, the incidents and the settings
    folder/leaderboard.csv   TournamentResult.leaderboard
    folder/runs.csv          one row per (team or preset, replication): every KPI
    folder/timelines.csv     every run's timeline, one row per (team, replication, cycle)
    folder/incidents.csv     one row per failed decision, with the reason and the fallback
    folder/tournament.json   scenario, objective, seeds and settings (limits, entries' hashes)

Everything is written into a temporary folder beside ``folder`` and renamed into place at the
end (:func:`sim.outputs.staged_folder`, as :func:`sim.report.write` does), so an interrupted
tournament never leaves a half-written folder and an earlier one survives a failure.
:func:`markdown` and :func:`leaderboard_text` give the leaderboard as text for a page or a
terminal.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from ..outputs import staged_folder
from .result import OBJECTIVES, TournamentResult

__all__ = ["incident_summary", "leaderboard_text", "markdown", "write"]

_TABLES = ("leaderboard", "runs", "timelines", "incidents")


def _money(value) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:,.0f}"


def _interval(low, high) -> str:
    if pd.isna(low) or pd.isna(high):
        return "n/a"
    return f"{low:,.0f} to {high:,.0f}"


def _signed_interval(d, low, high) -> str:
    if pd.isna(d):
        return ""
    if pd.isna(low):
        return f"{d:+,.0f}"
    return f"{d:+,.0f} ({low:+,.0f} to {high:+,.0f})"


def incident_summary(result: TournamentResult) -> pd.DataFrame:
    """Incidents counted by team and kind, with the first one's detail and fallback.

    Returns
    -------
    pandas.DataFrame
        ``team``, ``kind``, ``count``, ``runs`` (replications affected), ``detail``,
        ``fallback``; sorted by team, then count (most first).
    """
    inc = result.incidents
    columns = ["team", "kind", "count", "runs", "detail", "fallback"]
    if inc.empty:
        return pd.DataFrame(columns=columns)
    grouped = inc.groupby(["team", "kind"], sort=False)
    table = grouped.agg(count=("cycle", "size"), runs=("replication", "nunique"),
                        detail=("detail", "first"), fallback=("fallback", "first"))
    table = table.reset_index().sort_values(["team", "count"], ascending=[True, False],
                                            kind="stable")
    return table[columns].reset_index(drop=True)


def leaderboard_text(result: TournamentResult) -> str:
    """The leaderboard as a plain-text table for a terminal, the yardsticks below it."""
    board = result.leaderboard
    level = float(result.settings.get("level", 0.95))
    lines = [f"{'rank':>4}  {'team':<22} {'mean':>12} {f'{level:.0%} interval':>25}  "
             f"{'difference to next (paired)':<32} note"]
    for row in board.itertuples():
        diff = _signed_interval(row.difference, row.difference_low, row.difference_high)
        parts = [row.note, f"beats {row.beats}" if row.beats else "",
                 f"{row.fallbacks} fallback cycles" if row.fallbacks else ""]
        note = "; ".join(p for p in parts if p)
        lines.append(f"{row.rank:>4}  {str(row.team)[:22]:<22} {_money(row.mean):>12} "
                     f"{_interval(row.low, row.high):>25}  {diff:<32} {note}".rstrip())
    presets = _yardsticks(result)
    if not presets.empty:
        lines.append("yardsticks:")
        for row in presets.itertuples():
            lines.append(f"{'':>4}  {row.preset[:22]:<22} {_money(row.mean):>12} "
                         f"{_interval(row.low, row.high):>25}")
    return "\n".join(lines)


def _yardsticks(result: TournamentResult) -> pd.DataFrame:
    """Each preset's mean objective and interval."""
    from ..analytics.comparison import t_half_width

    level = float(result.settings.get("level", 0.95))
    runs = result.runs[result.runs["kind"] == "preset"]
    rows = []
    for name in dict.fromkeys(runs["team"]):
        values = runs.loc[runs["team"] == name, result.objective].dropna().to_numpy(float)
        mean = float(values.mean()) if values.size else math.nan
        half = t_half_width(values, level)
        rows.append({"preset": name, "mean": mean, "low": mean - half, "high": mean + half})
    return pd.DataFrame(rows, columns=["preset", "mean", "low", "high"])


#: Characters with a meaning in Markdown (emphasis, code, links, tables, headings, lists...).
_MARKDOWN = frozenset("\\`*_{}[]()#+-.!|~")


def _md_escape(text) -> str:
    """``text`` (an entry's name, or a detail an entry wrote) as plain text in a Markdown table
    cell: HTML made inert, every Markdown character backslash-escaped, lines joined."""
    text = " ".join(str(text).split())  # newlines, tabs and carriage returns: one space
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join(f"\\{c}" if c in _MARKDOWN else c for c in text)


def _confinement_line(confinement) -> str:
    """The layers that confined the workers, and those missing, in one line."""
    if not confinement:
        return "not recorded"
    text = "layers " + ", ".join(confinement.get("active", []))
    missing = confinement.get("missing") or {}
    if missing:
        text += "; missing " + "; ".join(f"{k} ({v})" for k, v in missing.items())
    return text


def markdown(result: TournamentResult) -> str:
    """The leaderboard page in Markdown: ranking, yardsticks, incidents and settings."""
    s = result.settings
    seeds = result.seeds
    level = float(s.get("level", 0.95))
    out = [f"# Tournament leaderboard: {result.scenario}", ""]
    out.append(f"Ranked by **{result.objective}**: {OBJECTIVES.get(result.objective, '')}. "
               f"{len(seeds)} replications (seeds {seeds[0]} to {seeds[-1]}), "
               f"{s.get('horizon_days', '?')} days each; every team and preset played the same "
               f"seeds. Intervals are {level:.0%} t intervals; differences are paired by seed. "
               "Two neighbours whose difference's interval covers zero are not significantly "
               "different: their order is the luck of the draw.")
    out += ["", "| Rank | Team | Mean | Interval | Difference to next (interval) | Note | "
                "Beats | Fallback cycles |", "|---:|---|---:|---|---|---|---|---:|"]
    for row in result.leaderboard.itertuples():
        out.append(
            f"| {row.rank} | {_md_escape(row.team)} | {_money(row.mean)} | "
            f"{_interval(row.low, row.high)} | "
            f"{_signed_interval(row.difference, row.difference_low, row.difference_high)} | "
            f"{_md_escape(row.note)} | {_md_escape(row.beats)} | {row.fallbacks} |")
    presets = _yardsticks(result)
    if not presets.empty:
        out += ["", "## Yardsticks", "", "The presets that played as yardsticks "
                "(`sim.strategies`).", "", "| Preset | Mean | Interval |", "|---|---:|---|"]
        out += [f"| {row.preset} | {_money(row.mean)} | {_interval(row.low, row.high)} |"
                for row in presets.itertuples()]
    out += ["", "## Incidents", ""]
    summary = incident_summary(result)
    if summary.empty:
        out.append("None: every entry decided every cycle.")
    else:
        out += [f"{len(result.incidents)} incidents (every one is in incidents.csv). A cycle an "
                f"entry did not decide was decided by the fallback ({s.get('fallback')}).", "",
                "| Team | Kind | Count | Runs | First detail | Fallback |",
                "|---|---|---:|---:|---|---|"]
        out += [f"| {_md_escape(r.team)} | {r.kind} | {r.count} | {r.runs} | "
                f"{_md_escape(str(r.detail)[:300])} | {_md_escape(r.fallback)} |"
                for r in summary.itertuples()]
    out += ["", "## Settings", ""]
    out += [f"- decision time limit {s.get('decision_timeout')} s, memory limit "
            f"{s.get('memory_mb')} MB, {s.get('max_strikes')} strikes (time-outs, memory "
            "failures, crashes) before an entry sits out a run",
            f"- fallback: {s.get('fallback')}",
            f"- seed {s.get('seed')} ({s.get('seed_source', 'given')}): replay with --seed "
            f"{s.get('seed')}",
            f"- sandbox: {_confinement_line(s.get('confinement'))}",
            f"- CRM Lab {s.get('version')}, Python {s.get('python')}, {s.get('platform')}"]
    for team, info in (s.get("entries") or {}).items():
        out.append(f"- entry {_md_escape(team)}: sha256 {info.get('sha256')}")
    return "\n".join(out) + "\n"


def write(result: TournamentResult, folder: str | Path) -> Path:
    """Write the tournament's folder (see the module docstring), replacing an earlier one.

    Parameters
    ----------
    result : TournamentResult
    folder : str or Path
        Destination; its parent is created if needed, and an earlier folder there is replaced
        whole.

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    sim.outputs.OutputFolderError
        ``folder`` is a file, has no name, or is the current or home folder or above them.
    """
    folder = Path(folder)
    with staged_folder(folder) as tmp:
        for name in _TABLES:
            getattr(result, name).to_csv(tmp / f"{name}.csv", index=False)
        (tmp / "leaderboard.md").write_text(markdown(result), encoding="utf-8")
        meta = {"scenario": result.scenario, "objective": result.objective,
                "seeds": list(result.seeds), "settings": result.settings}
        (tmp / "tournament.json").write_text(json.dumps(meta, indent=2, default=str) + "\n",
                                             encoding="utf-8")
    return folder
