"""``python -m sim debrief RESULTS_DIR [--out DIR]``: the debrief of a finished tournament.

A tournament writes its tables to a folder (``runs.csv``, ``timelines.csv``, ``incidents.csv``,
``leaderboard.csv``) with its metadata (``tournament.json``, :func:`sim.tournament.output.write`);
:func:`read_result` reads them back into a :class:`~sim.tournament.result.TournamentResult` and
:func:`debrief_from_folder` writes the debrief from them, so an instructor can rebuild the
debrief long after the runs, without running anything again.

The metadata file is ``tournament.json`` (or, failing that, ``settings.json``), a JSON object
with ``scenario`` (the scenario's name or file) and ``objective`` (a key of
:data:`~sim.tournament.result.OBJECTIVES`), both required; ``seeds`` (the seed of each
replication, in order), read from ``runs.csv`` when absent; and ``settings``, an object kept
as the result's settings (without it, every other key is).

Wiring into ``sim/cli.py``: ``debrief_cli.add_parser(sub)`` in ``_parser()`` and
``"debrief": debrief_cli.main`` in the dispatch table of ``main()``; errors are raised as
``ValueError`` or ``OSError`` for ``main()`` to print as one line with exit status 2.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from .result import TournamentResult

__all__ = ["META_FILES", "TABLES", "add_parser", "debrief_from_folder", "main", "read_result"]

#: The tables a tournament folder holds: attribute of TournamentResult -> file name.
TABLES = {"runs": "runs.csv", "timelines": "timelines.csv", "incidents": "incidents.csv",
          "leaderboard": "leaderboard.csv"}
#: The metadata file, by preference: the tournament writes the first.
META_FILES = ("tournament.json", "settings.json")
#: Text columns read as text whatever they hold (a team called "42" stays a name).
_TEXT = {"team": str, "kind": str, "status": str, "detail": str, "fallback": str, "note": str}
_EMPTY_INCIDENTS = ("team", "replication", "cycle", "kind", "detail", "fallback")


def _read_table(folder: Path, name: str) -> pd.DataFrame:
    path = folder / TABLES[name]
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: a tournament folder holds "
                                f"{', '.join(TABLES.values())} and {META_FILES[0]}")
    try:
        # Only an empty field is missing: "NA" or "null" are fine team names.
        table = pd.read_csv(path, dtype=_TEXT, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        if name != "incidents":
            raise ValueError(f"{path} is empty: it needs a header and one row per "
                             f"{'run' if name == 'runs' else 'row'}") from None
        table = pd.DataFrame(columns=list(_EMPTY_INCIDENTS))
    for col in set(_TEXT) & set(table.columns):
        table[col] = table[col].fillna("")
    return table


def read_result(folder: str | Path) -> TournamentResult:
    """A tournament's tables, read back from the folder it wrote them to.

    Parameters
    ----------
    folder : str or Path
        Holds ``runs.csv``, ``timelines.csv``, ``incidents.csv``, ``leaderboard.csv`` and
        ``tournament.json`` (see the module docstring for its keys).

    Returns
    -------
    TournamentResult

    Raises
    ------
    FileNotFoundError
        The folder or one of its files is missing.
    ValueError
        The metadata file is not a JSON object or lacks ``scenario`` or ``objective``, or a
        table is empty.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder: give the folder a tournament "
                                "wrote its tables to")
    path = next((folder / name for name in META_FILES if (folder / name).is_file()), None)
    if path is None:
        raise FileNotFoundError(f"{folder / META_FILES[0]} not found: it names the scenario and "
                                "the objective of the tournament")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON: {err}") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: must be a JSON object with the keys scenario and objective")
    for key in ("scenario", "objective"):
        if key not in meta:
            raise ValueError(f"{path} has no key {key!r}; it needs scenario (the scenario's "
                             "name or file) and objective (what the teams were ranked by)")
    scenario, objective, seeds = meta.pop("scenario"), meta.pop("objective"), meta.pop("seeds",
                                                                                     None)
    settings = meta["settings"] if isinstance(meta.get("settings"), dict) else meta
    tables = {name: _read_table(folder, name) for name in TABLES}
    if seeds is None:
        runs = tables["runs"]
        seeds = [] if "seed" not in runs else (runs.sort_values("replication")
                                               .drop_duplicates("replication")["seed"].tolist())
    return TournamentResult(scenario=str(scenario), objective=str(objective),
                            seeds=tuple(int(s) for s in seeds), settings=settings, **tables)


def debrief_from_folder(folder: str | Path, out: str | Path | None = None, *,
                        title: str | None = None) -> Path:
    """Write the debrief of the tournament whose tables are in ``folder``.

    Parameters
    ----------
    folder : str or Path
        The tournament's folder (see :func:`read_result`).
    out : str or Path, optional
        Where to write the debrief (default: ``folder/debrief``); replaced if it exists.
    title : str, optional
        Title of the class page.

    Returns
    -------
    Path
        The debrief folder (:func:`sim.tournament.debrief.write_debrief`).
    """
    from .debrief import write_debrief

    result = read_result(folder)
    return write_debrief(result, Path(folder) / "debrief" if out is None else out, title=title)


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``debrief`` command to the subparsers of ``python -m sim``."""
    parser = subparsers.add_parser(
        "debrief", help="write the debrief report of a finished tournament",
        description="Write the debrief of a tournament from the folder it wrote its tables to "
                    "(runs.csv, timelines.csv, incidents.csv, leaderboard.csv, tournament.json): "
                    "a class page (index.html) with the leaderboard, luck vs skill, KPIs over "
                    "time, spending by lever, incidents and discussion prompts, and one page "
                    "per team. Nothing is run again.")
    parser.add_argument("results", type=Path, metavar="RESULTS_DIR",
                        help="the tournament's results folder")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="debrief folder (default: RESULTS_DIR/debrief)")
    parser.add_argument("--title", default=None, metavar="TEXT",
                        help="title of the class page")
    return parser


def main(args: argparse.Namespace) -> int:
    """Run ``python -m sim debrief``; returns the exit status (errors are raised)."""
    folder = debrief_from_folder(args.results, args.out, title=args.title)
    pages = sorted(p.name for p in folder.glob("team-*.html"))
    print(f"Debrief written to {folder}/ (index.html for the class, {len(pages)} team "
          f"page{'s' if len(pages) != 1 else ''}, figures/, debrief.json)")
    return 0
