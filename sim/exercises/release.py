"""Student copies of the exercise notebooks: the reference solutions and hidden tests removed.

The notebooks in ``exercises/`` are the instructor's source. Each answer cell sets its answer
to ``None`` and then solves the question between two marker lines; each check cell asserts the
reference answer passes between two more::

    answer_q1 = None  # replace None with your answer        <- stays
    ### BEGIN SOLUTION
    answer_q1 = run(...).summary()["customers_active_end"]   <- removed
    ### END SOLUTION

    feedback = exercises.check("q1", answer_q1)               <- stays
    ### BEGIN HIDDEN TESTS
    assert feedback.correct, feedback                         <- removed
    ### END HIDDEN TESTS

:func:`release` writes the student copies: both kinds of block removed (markers included),
outputs and execution counts cleared, notebook metadata and kernelspec kept, and
``metadata["crmlab"]["exercise"]`` recording the exercise so the grader can tell which one a
renamed submission is. A copy runs top to bottom and every check reports "not attempted".
``README.md`` is copied too, without the parts between ``<!-- BEGIN INSTRUCTORS ONLY -->`` and
``<!-- END INSTRUCTORS ONLY -->``, and relative links in it and in the notebooks are rewritten
so they still reach their targets from the output folder.

A marker that is unbalanced, nested, or misspelt (``## BEGIN SOLUTION``, ``### begin
solution``, ``<!-- BEGIN INSTRUCTOR ONLY -->``) stops the release with the file and the cell
or line named: a misspelt marker would otherwise hand the solution, or the instructors' part of
the README, out. So does a registered exercise whose student copy does not set
``answer_<question id> = None`` for every question, since that is the variable the grader reads.
Everything is written to a temporary folder beside the output and renamed into place
(:func:`sim.outputs.staged_folder`); which folders may be replaced is decided here first.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat

from ..errors import CRMLabError
from ..outputs import staged_folder
from .registry import EXERCISES

__all__ = ["BLOCKS", "MANIFEST", "ReleaseError", "release", "student_copy"]

#: Pairs of marker lines whose content never reaches a student copy.
BLOCKS = (("### BEGIN SOLUTION", "### END SOLUTION"),
          ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"))
_README_BLOCK = ("<!-- BEGIN INSTRUCTORS ONLY -->", "<!-- END INSTRUCTORS ONLY -->")
#: File in a release folder that marks it as written by :func:`release` (safe to replace).
MANIFEST = ".crmlab-release.json"

# Anything that looks like a marker; a line matching this that is not exactly a marker is a
# typo that would leak the block, so it is refused. In notebooks: comments naming a solution or
# hidden tests; in the README: HTML comments naming the beginning or end of an instructors' part.
_MARKERISH = re.compile(r"^\s*#+\s*(BEGIN|END)\s+(SOLUTIONS?|HIDDEN[\s_-]*TESTS?)\b", re.I)
_README_MARKERISH = re.compile(r"^\s*<!--(?=.*\b(BEGIN|END|START|STOP)\b)"
                               r"(?=.*(INSTRUCT|TEACH|STAFF|ONLY|PRIVATE|SOLUTION|HIDDEN))", re.I)
# A markdown link to a local file: [text](target) with no scheme; group 1 is the target.
_LINK = re.compile(r"(\]\()(?!https?:|mailto:|#)([^)\s]+)(\))")
# The exercise a notebook starts: exercises.setup("NAME", ...).
_SETUP = re.compile(r"""exercises\.setup\(\s*["']([\w.-]+)["']""")


class ReleaseError(CRMLabError):
    """The source cannot be released as it is (bad markers, missing answer line, bad folder)."""


# -- one notebook ---------------------------------------------------------------------------------
def _strip_blocks(text: str, blocks, where: str, markerish: re.Pattern = _MARKERISH) -> str:
    """``text`` without the lines between (and including) each pair of ``blocks`` markers.

    Unbalanced or nested markers, and lines that match ``markerish`` without being exactly a
    marker (a typo would leave the block in), raise :class:`ReleaseError` naming the line.
    """
    kept: list[str] = []
    open_block: tuple[str, str, int] | None = None  # (begin, end, line number)
    for number, line in enumerate(text.splitlines(), start=1):
        marker = line.strip()
        begin = next((pair for pair in blocks if marker == pair[0]), None)
        end = next((pair for pair in blocks if marker == pair[1]), None)
        if begin:
            if open_block:
                raise ReleaseError(f"{where}, line {number}: {marker!r} inside the "
                                   f"{open_block[0]!r} block opened on line {open_block[2]}; "
                                   "blocks cannot be nested")
            open_block = (*begin, number)
        elif end:
            if not open_block or open_block[1] != marker:
                opened = f"the open block is {open_block[0]!r}" if open_block else "none is open"
                raise ReleaseError(f"{where}, line {number}: {marker!r} closes no block "
                                   f"({opened})")
            open_block = None
        elif markerish.match(line):
            allowed = " or ".join(repr(m) for pair in blocks for m in pair)
            raise ReleaseError(f"{where}, line {number}: {marker!r} looks like a marker but is "
                               f"not one; write exactly {allowed}")
        elif not open_block:
            kept.append(line)
    if open_block:
        raise ReleaseError(f"{where}, line {open_block[2]}: {open_block[0]!r} has no matching "
                           f"{open_block[1]!r}" + (" (a block ends in the cell it begins in)"
                                                   if markerish is _MARKERISH else ""))
    while kept and not kept[-1].strip():  # the block often ended the cell
        kept.pop()
    return "\n".join(kept)


def _exercise_of(nb) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "code" and (found := _SETUP.search(cell.source)):
            return found.group(1)
    return None


def student_copy(nb, *, where: str = "notebook"):
    """The student copy of one source notebook (a new object; ``nb`` is left unchanged).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A source exercise notebook (nbformat 4).
    where : str
        How to name the notebook in errors, e.g. its path.

    Returns
    -------
    nbformat.NotebookNode
        Solution and hidden-test blocks removed from every cell, code outputs and execution
        counts cleared, saved widget state dropped, and ``metadata["crmlab"]["exercise"]`` set
        when the notebook starts an exercise.

    Raises
    ------
    ReleaseError
        Unbalanced, nested or misspelt markers (naming the cell and line), or a registered
        exercise whose copy does not set ``answer_<id> = None`` for each question.
    """
    copy = nbformat.from_dict(json.loads(json.dumps(nb)))  # deep copy, plain JSON types
    for number, cell in enumerate(copy.cells, start=1):
        head = cell.source.strip().splitlines()[0][:50] if cell.source.strip() else ""
        cell.source = _strip_blocks(cell.source, BLOCKS,
                                    f"{where}, cell {number} ({cell.cell_type}: {head!r})")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)  # timings of the instructor's run
    copy.metadata.pop("widgets", None)
    name = _exercise_of(copy)
    if name is not None:
        copy.metadata["crmlab"] = {"exercise": name}
    if name in EXERCISES:
        code = "\n".join(c.source for c in copy.cells if c.cell_type == "code")
        for qid in EXERCISES[name].question_ids:
            if not re.search(rf"^answer_{re.escape(qid)} = None\b", code, re.MULTILINE):
                raise ReleaseError(
                    f"{where}: the student copy never sets `answer_{qid} = None` outside a "
                    f"solution block; every question of {name!r} needs that line, because the "
                    f"grader reads question {qid}'s answer from the variable answer_{qid}")
    return copy


# -- links ----------------------------------------------------------------------------------------
def _relink(text: str, source: Path, out: Path, released: set[str]) -> str:
    """Rewrite relative links of ``text`` (written in ``source``) to work from ``out``."""

    def fix(match: re.Match) -> str:
        target = match.group(2)
        path, hash_, anchor = target.partition("#")
        resolved = (source / path).resolve()
        if resolved.parent == source and resolved.name in released:
            return match.group(0)  # a released file: it sits beside this one in ``out`` too
        moved = Path(os.path.relpath(resolved, out)).as_posix()
        return f"{match.group(1)}{moved}{hash_}{anchor}{match.group(3)}"

    return _LINK.sub(fix, text)


# -- the release folder ---------------------------------------------------------------------------
def _check_out_dir(source: Path, out: Path, force: bool) -> None:
    if out == source or out in source.parents:
        raise ReleaseError(f"out_dir {str(out)!r} is the source folder or contains it; "
                           "release into a folder of its own, e.g. release/")
    if source in out.parents:
        raise ReleaseError(f"out_dir {str(out)!r} is inside the source folder {str(source)!r}; "
                           "the student copies would be mixed with the solutions")
    cwd, home = Path.cwd().resolve(), Path.home().resolve()
    if out == Path(out.anchor) or out in (cwd, home) or out in cwd.parents:
        raise ReleaseError(f"out_dir {str(out)!r} is the current folder, your home folder, a "
                           "folder above them or a drive's root: replacing it would delete "
                           "far more than a release; pick a folder of its own, e.g. release/")
    if out.exists() and not out.is_dir():
        raise ReleaseError(f"out_dir {str(out)!r} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file() and not force:
        raise ReleaseError(f"out_dir {str(out)!r} is not empty and was not written by a "
                           "release; pick another folder, or pass --force (force=True) to "
                           "replace it and everything in it")


def release(source_dir: str | Path = "exercises", out_dir: str | Path = "release", *,
            force: bool = False) -> Path:
    """Write the student copies of every ``*.ipynb`` in ``source_dir`` (and its README).

    Parameters
    ----------
    source_dir : str or Path
        The folder of source notebooks (reference solutions and hidden tests).
    out_dir : str or Path
        The folder to write. Replaced whole if it is empty or was written by an earlier
        release (it then holds ``.crmlab-release.json``); any other non-empty folder is refused
        unless ``force``.
    force : bool
        Replace ``out_dir`` even if it holds files a release did not write.

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    ReleaseError
        No notebooks in ``source_dir``, a bad marker in a notebook or the README, a missing
        answer line (file, cell and line named), or an ``out_dir`` that is refused (see
        ``out_dir``).
    """
    source = Path(source_dir).resolve()
    out = Path(out_dir).resolve()
    if not source.is_dir():
        raise ReleaseError(f"source_dir {str(source_dir)!r} is not a folder")
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise ReleaseError(f"source_dir {str(source_dir)!r} has no .ipynb notebooks")
    _check_out_dir(source, out, force)
    released = {p.name for p in notebooks} | {"README.md"}
    copies = {}
    for path in notebooks:  # everything is checked before anything is written
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as err:  # nbformat raises several kinds for an unreadable file
            raise ReleaseError(f"{path}: not a readable notebook: {err}") from err
        copy = student_copy(nb, where=str(path))
        for cell in copy.cells:
            if cell.cell_type == "markdown":
                cell.source = _relink(cell.source, source, out, released)
        copies[path.name] = copy
    readme = source / "README.md"
    readme_text = None
    if readme.is_file():
        readme_text = _relink(_strip_blocks(readme.read_text(encoding="utf-8"),
                                            (_README_BLOCK,), str(readme), _README_MARKERISH)
                              + "\n", source, out, released)

    with staged_folder(out) as tmp:
        for name, copy in copies.items():
            nbformat.write(copy, tmp / name)
        if readme_text is not None:
            (tmp / "README.md").write_text(readme_text, encoding="utf-8")
        manifest = {"written_by": "python -m sim exercises release",
                    "source": str(source), "notebooks": sorted(copies)}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return out
