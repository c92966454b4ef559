"""Output folders written whole or not at all: write into a temporary folder, then rename it.

CRM Lab's rule for every folder it writes (a run or comparison report, a tournament's tables, a
debrief, the student copies of the exercises, the rendered course site) is that nobody ever
sees a half-written one, and that a failure leaves whatever was there before as it was.
:func:`staged_folder` is that rule, written once::

    with staged_folder("reports/run-42") as tmp:
        (tmp / "summary.md").write_text(text)
        ...        # if anything here raises, reports/run-42 is left exactly as it was
    # here reports/run-42 holds what was written into tmp, and only that

How it works. The files go into a new folder beside the target, ``.<name>.<random>.tmp``: in
the same parent folder, so on the same file system, where a rename is atomic. When the block
ends normally, an existing target is renamed aside (into ``.<name>.<random>.old``), the
temporary folder is renamed to the target, and the old folder is deleted. If the block raises
(an error, or ``KeyboardInterrupt``), or a rename fails, the temporary folder is deleted, an
earlier target that was already moved aside is put back, parent folders made for the target
are removed again (when still empty), and the exception goes on to the caller.

Between the two renames the target is missing for a moment (microseconds): a reader sees the
old folder, nothing, or the new folder, never a mixture. Only a hard kill (``SIGKILL``, a power
cut) can leave a ``.<name>.*.tmp`` or ``.<name>.*.old`` folder behind; it is never mistaken for
an output and can be deleted by hand. The helper deletes nothing but what it made and the
target it was asked to replace.

What the helper refuses, before anything is written (:class:`OutputFolderError`): a target
without a name (``"."``, ``".."``, a drive's root); a target that exists and is not a folder (a
file of that name would be lost); and a target whose replacement would delete far more than an
output: the current folder, the home folder or any folder above either (``--out .`` or
``--out ~`` by mistake). Rules of a particular kind of output are the caller's, checked before
it opens the block: :func:`sim.exercises.release.release`, for one, refuses a non-empty folder
it did not write unless forced.

A single file is written the same way, on a smaller scale, by ``sim.result._write_atomic``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import CRMLabError

__all__ = ["OutputFolderError", "staged_folder"]

#: Permissions of a written folder. ``mkdtemp`` makes its folder private (0o700); an output is
#: meant to be read by others (a site served by a web server, a report on a shared drive).
FOLDER_MODE = 0o755


class OutputFolderError(CRMLabError):
    """An output folder cannot be written where asked (no name, a file, or too dangerous)."""


@contextmanager
def staged_folder(target: str | os.PathLike) -> Iterator[Path]:
    """Write a folder whole or not at all: yield a temporary folder, then rename it to ``target``.

    Parameters
    ----------
    target : str or path-like
        The folder to write, relative to the current folder or absolute. Missing parent
        folders are created. An existing folder there is replaced whole (its files are not
        kept) once the ``with`` block has ended without an exception; a symbolic link there is
        replaced by the folder (what it points to is left alone).

    Yields
    ------
    Path
        The empty temporary folder (absolute path, permissions 0o755) to write everything
        into. It becomes ``target`` when the block ends normally.

    Raises
    ------
    OutputFolderError
        Before the block runs: ``target`` has no name, exists and is not a folder, or is the
        current folder, the home folder or a folder above one of them.
    BaseException
        Whatever the block raised, or the ``OSError`` of a failed rename, after the clean-up:
        the temporary folder is gone and an earlier ``target`` is as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report"
    >>> with staged_folder(out) as tmp:
    ...     _ = (tmp / "summary.md").write_text("profit: 42 EUR")
    >>> sorted(p.name for p in out.iterdir())
    ['summary.md']
    """
    target = _checked(Path(target))
    made = _make_parents(target.parent)
    tmp = None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp",
                                    dir=target.parent))
        tmp.chmod(FOLDER_MODE)
        yield tmp
        _swap(tmp, target)
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(made)
        raise


def _checked(target: Path) -> Path:
    """``target`` as an absolute path (so a ``chdir`` in the block cannot move it), or an
    :class:`OutputFolderError` if it cannot or must not be replaced."""
    absolute = target.absolute()
    if absolute.name in ("", ".", ".."):
        raise OutputFolderError(f"output folder {str(target)!r} has no name of its own; give "
                                "a folder to create or replace, e.g. reports/run")
    if os.path.lexists(absolute) and not absolute.is_dir():
        raise OutputFolderError(f"output folder {str(target)!r} is a file, not a folder; "
                                "pick another name or move the file away")
    # The entry that would be renamed aside: its parent's real path and its own name (a
    # symbolic link there is replaced, not followed).
    place = absolute.parent.resolve() / absolute.name
    if any(place == folder or place in folder.parents for folder in _precious()):
        raise OutputFolderError(f"output folder {str(target)!r} is the current folder, your "
                                "home folder or a folder above them: replacing it would "
                                "delete far more than an output; pick a folder of its own, "
                                "e.g. reports/run")
    return absolute


def _precious() -> list[Path]:
    """The current and home folders (real paths), those of them that can be determined."""
    folders = []
    for where in (Path.cwd, Path.home):
        try:
            folders.append(where().resolve())
        except (OSError, RuntimeError):  # current folder deleted; no HOME and no user entry
            continue
    return folders


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and the missing folders above it; return those this call made,
    deepest first (what :func:`_remove_empty` removes after a failure)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    made = []
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:  # made meanwhile by someone else: theirs, never removed
            continue
        made.append(path)
    return made[::-1]


def _remove_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (deepest first) while they are empty; stop at the first that is not."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _swap(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``; an existing ``target`` is moved aside first and deleted
    after, or put back if the rename fails."""
    if not os.path.lexists(target):
        tmp.rename(target)
        return
    # A fresh folder of our own to hold the old target: its name cannot clash with anything,
    # and deleting it deletes only what was moved into it (rmtree never follows a link inside).
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    held = aside / target.name
    try:
        target.rename(held)
        tmp.rename(target)
    except BaseException:
        if os.path.lexists(held) and not os.path.lexists(target):
            held.rename(target)  # the earlier output goes back where it was
        if not os.path.lexists(held):  # never delete the only copy of the earlier output
            shutil.rmtree(aside, ignore_errors=True)
        raise
    shutil.rmtree(aside, ignore_errors=True)
