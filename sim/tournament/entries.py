"""Tournament entries: one Python file per team, defining ``strategy(view)``.

An entries folder holds one ``.py`` file per team; the team's name is the file's stem
(``retention_first.py`` plays as ``retention_first``). Files whose names start with ``_`` or
``.`` are skipped (``__init__.py``, editor backups). An entry is a single file: it may import
the standard library, numpy, pandas, scikit-learn and ``sim`` (its planning helpers and
presets), but not another file of the folder.

Entries are read here as text, once; a team's worker receives that text and never the file's
path. A file that cannot be read as UTF-8 text, or is larger than :data:`MAX_BYTES`, is kept as
an entry with a ``problem``: it plays every run on the fallback, and the tournament records why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MAX_BYTES", "Entry", "load_entries"]

#: Largest entry file read, bytes (a strategy is a page or two of code).
MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class Entry:
    """One team's file.

    Attributes
    ----------
    team : str
        The team's name.
    path : Path
        Where the file was read (kept for the record; never sent to the worker).
    source : str
        The file's text ("" when it could not be read).
    sha256 : str
        Hash of the file's bytes, for the record of what played.
    problem : str or None
        Why the file cannot play (unreadable, not UTF-8, too large), else None.
    """

    team: str
    path: Path
    source: str
    sha256: str
    problem: str | None = None


def _check_team(team, where: str) -> str:
    if not isinstance(team, str) or not team.strip():
        raise ValueError(f"{where}: team name {team!r} must be a non-empty string")
    bad = [c for c in team if c in "/\\" or not c.isprintable()]
    if bad or len(team) > 80:
        raise ValueError(f"{where}: team name {team!r} must be at most 80 printable characters "
                         "without slashes")
    return team


def _read(team: str, path: Path) -> Entry:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ValueError(f"entry {team!r}: cannot read {path}: {err.strerror or err}") from None
    digest = hashlib.sha256(data).hexdigest()
    if len(data) > MAX_BYTES:
        return Entry(team, path, "", digest, f"the file is {len(data):,} bytes; entries may be "
                                             f"at most {MAX_BYTES:,} bytes")
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as err:
        return Entry(team, path, "", digest, f"the file is not UTF-8 text ({err.reason} at byte "
                                             f"{err.start})")
    return Entry(team, path, source, digest)


def load_entries(entries, *, reserved=()) -> list[Entry]:
    """Read a tournament's entries.

    Parameters
    ----------
    entries : str, Path, mapping or sequence
        A folder (every ``*.py`` file in it, see the module docstring), a mapping
        team name -> file, or a sequence of files (team name = file stem).
    reserved : iterable of str
        Names a team may not take (the presets playing as yardsticks).

    Returns
    -------
    list of Entry
        Sorted by team name.

    Raises
    ------
    ValueError
        For a missing folder or file, a folder without entries, or a team name that is
        taken twice, reserved or malformed, naming it.
    """
    if isinstance(entries, str | Path):
        folder = Path(entries)
        if not folder.is_dir():
            raise ValueError(f"entries = {str(folder)!r}: no such folder (give a folder of "
                             "team files, one strategy(view) per .py file)")
        files = sorted(p for p in folder.glob("*.py") if not p.name.startswith(("_", ".")))
        if not files:
            raise ValueError(f"entries folder {str(folder)!r} holds no team file (*.py not "
                             "starting with _ or .)")
        pairs = [(p.stem, p) for p in files]
    elif isinstance(entries, Mapping):
        pairs = [(team, Path(path)) for team, path in entries.items()]
    else:
        try:
            pairs = [(Path(p).stem, Path(p)) for p in entries]
        except TypeError:
            raise ValueError(f"entries = {entries!r}: give a folder, a mapping team -> file "
                             "or a list of files") from None
    if not pairs:
        raise ValueError("entries is empty: give at least one team file")
    reserved = set(reserved)
    seen: dict[str, Path] = {}
    out = []
    for team, path in pairs:
        _check_team(team, f"entry {str(path)!r}")
        if team in seen:
            raise ValueError(f"team {team!r} appears twice ({seen[team]} and {path}): team "
                             "names must differ")
        if team in reserved:
            raise ValueError(f"team {team!r} ({path}) has the name of a preset playing as a "
                             "yardstick: rename the file")
        if not path.is_file():
            raise ValueError(f"entry {team!r}: no such file {str(path)!r}")
        seen[team] = path
        out.append(_read(team, path))
    return sorted(out, key=lambda e: e.team)
