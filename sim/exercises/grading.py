"""Grade submitted exercise notebooks into a gradebook CSV, whatever the notebooks do.

:func:`grade_submissions` finds every ``*.ipynb`` under a folder (a file per student and
exercise, in any layout) and grades each with two fresh Python kernels of its own
(:mod:`.verdicts`):

1. **The student's kernel** runs the notebook's code cells top to bottom, in a temporary
   working folder, with a time limit per cell and one for the whole notebook. Errors do not
   stop the run, so a crash in question 2 still lets questions 3 to 5 be graded; a cell over
   its limit is interrupted. The grader then runs cells of its own there, never the student's
   checks: they read which exercise and student id ``exercises.setup`` was called with and hand
   in each variable ``answer_<question id>`` (the convention every exercise follows and
   :func:`sim.exercises.release.release` enforces) as a file of plain data: numbers, text,
   tables; a function as the record of what it returned when the question's check ran it.
2. **The judge**, a second kernel in which no student code ever runs, rebuilds the student's
   parameters from the id, and grades each hand-in with :func:`sim.exercises.grade`, replaying
   a function's record through the check's own simulation. The points a verdict earns come
   from this process's registry.

Trust model: points are decided by the grader's own code on data, never by the student's
interpreter. Whatever a notebook does to Python (an input transformer that rewrites the
grader's cells, a patched ``json``, ``print`` or ``exercises.check``) can only change which
answers it hands in, and a forged answer is graded like any other. Believed from the notebook
are only its claimed student id and exercise (they choose whose parameters are graded), and,
for a function, its own kernel's check may lower that question's grade, never raise it.

Every question gets a row with a status: ``correct``, ``incorrect`` (with the question's hint),
``not attempted``, ``timed out`` (its cell, or checking it, ran over the limit) or ``error``
(its cell raised, the notebook is not a notebook, the kernel died, setup never ran, the answer
could not be handed in). A broken submission gets zeros and the reason, never a crashed grader.

Limits: the answer checks ship with the package, so a student can compute right answers with
them (``Question.expected``) as an instructor can; the grader grades answers, not how they
were found. And grading runs the students' code with your permissions: code that acts outside
Python (rewriting files, the grader's own among them, or other processes of yours) is not
stopped by any of the above; grade untrusted submissions in a container or a throwaway account.

Modules: this one finds the submissions and turns each into rows of points, and many into a
gradebook; :mod:`.verdicts` runs the two kernels for one notebook, which :mod:`.kernel` drives
under its time limits; :mod:`.handin`, :mod:`.plain` and :mod:`.calls` carry answers out of
the student's kernel; :mod:`.judge` grades them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .kernel import GradingError
from .registry import EXERCISES
from .verdicts import STATUSES, _execute, _Run
from .verdicts import _verdict as _verdict  # used by the tests of the nonce markers

__all__ = ["COLUMNS", "STATUSES", "Gradebook", "GradingError", "grade_notebook",
           "grade_submissions"]

#: Columns of the gradebook, one row per submitted file and question.
COLUMNS = ("file", "student", "exercise", "question", "points", "max_points", "status",
           "feedback")
_MAX_BYTES = 50_000_000  # a submission larger than this is not a hand-written notebook


# -- from a file to rows --------------------------------------------------------------------------
def _identify(nb, path: Path) -> str | None:
    """The exercise a submission is: its release metadata, its setup call, or its file name."""
    meta = nb.get("metadata", {}).get("crmlab", {}) if nb is not None else {}
    named = meta.get("exercise") if isinstance(meta, dict) else None
    if named in EXERCISES:
        return named
    if nb is not None:
        for cell in nb.get("cells", []):
            source = cell.get("source", "")
            found = re.search(r"""exercises\.setup\(\s*["']([\w.-]+)["']""", str(source))
            if found and found.group(1) in EXERCISES:
                return found.group(1)
    stem = path.stem.casefold()
    names = [n for n in EXERCISES if n.casefold() in stem]
    return max(names, key=len) if names else None


def _source_student(nb) -> str | None:
    """The student id written in the setup call, for a notebook whose kernel could not tell."""
    for cell in nb.get("cells", []) if nb is not None else ():
        found = re.search(r"""exercises\.setup\(\s*["'][^"']*["']\s*,\s*"""
                          r"""(?:student_id\s*=\s*)?(["'])(.+?)\1""", str(cell.get("source")))
        if found and found.group(2).strip():
            return found.group(2).strip().casefold()
    return None


def _question_cells(run: _Run, qid: str) -> list[int]:
    """Cells that set ``answer_<qid>`` or check ``qid``, in order."""
    assign = re.compile(rf"^\s*answer_{re.escape(qid)}\s*(:[^=\n]*)?=(?!=)", re.MULTILINE)
    check = re.compile(rf"""check\(\s*["']{re.escape(qid)}["']""")
    return [n for n, s in run.cells.items() if assign.search(s) or check.search(s)]


def _rows(file: str, exercise: str | None, run: _Run) -> list[dict]:
    base = {"file": file, "student": run.student or "", "exercise": exercise or ""}
    if exercise not in EXERCISES:
        reason = f"{run.fatal[1]}; " if run.fatal else ""
        return [{**base, "question": "", "points": 0.0, "max_points": math.nan,
                 "status": "error", "feedback": f"{reason}cannot tell which exercise this is: "
                 "keep its setup cell, name the file after the exercise, or pass exercise="}]
    rows = []
    for question in EXERCISES[exercise].questions:
        status, text = run.fatal or run.verdicts.get(
            question.id, ("error", "not checked: the notebook could not be graded"))
        if status == "not attempted":
            events = [run.events[n] for n in _question_cells(run, question.id)
                      if n in run.events]
            if events:
                status, text = events[0][0], f"Not attempted: {events[0][1]}."
        rows.append({**base, "question": question.id,
                     "points": float(question.points) if status == "correct" else 0.0,
                     "max_points": float(question.points), "status": status,
                     "feedback": text})
    return rows


async def _grade_file(path: Path, file: str, exercise: str | None, timeout: float,
                      notebook_timeout: float) -> list[dict]:
    import nbformat

    run = _Run()
    nb = None
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise ValueError(f"it is larger than {_MAX_BYTES // 1_000_000} MB")
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("it has no list of cells")
    except Exception as err:
        run.fatal = ("error", f"not a readable Jupyter notebook ({type(err).__name__}: "
                              f"{str(err)[:200]})")
        return _rows(file, exercise or _identify(None, path), run)
    expected = exercise or _identify(nb, path)
    await _execute(nb, run, expected, timeout, notebook_timeout)
    if run.student is None and run.exercise is None:  # the kernel never told: read the source
        run.student = _source_student(nb)
    return _rows(file, expected or run.exercise, run)


def _sync(coro):
    """Run ``coro`` to the end, also from inside a running event loop (a Jupyter notebook)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        running = False
    else:
        running = True
    if not running:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _check_limits(exercise, timeout, notebook_timeout, jobs) -> None:
    if exercise is not None and exercise not in EXERCISES:
        raise GradingError(f"exercise {exercise!r} is not registered: exercises are "
                           f"{', '.join(EXERCISES)}")
    for name, value in (("timeout", timeout), ("notebook_timeout", notebook_timeout)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0 \
                or not math.isfinite(value):
            raise GradingError(f"{name} = {value!r}: must be a number of seconds > 0")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise GradingError(f"jobs = {jobs!r}: must be a whole number >= 1")


def grade_notebook(path: str | Path, *, exercise: str | None = None, timeout: float = 300,
                   notebook_timeout: float = 1800) -> pd.DataFrame:
    """Grade one submitted notebook (see :func:`grade_submissions`).

    Parameters
    ----------
    path : str or Path
        The ``.ipynb`` file.
    exercise : str, optional
        Grade it as this exercise (default: from its metadata, setup call or file name).
    timeout : float
        Seconds each cell, and each question's check, may run.
    notebook_timeout : float
        Seconds all of the student's cells together may run.

    Returns
    -------
    pandas.DataFrame
        One row per question, columns :data:`COLUMNS`.
    """
    _check_limits(exercise, timeout, notebook_timeout, 1)
    path = Path(path)
    rows = _sync(_grade_file(path, path.name, exercise, timeout, notebook_timeout))
    return pd.DataFrame(rows, columns=list(COLUMNS))


# -- many notebooks: the gradebook ----------------------------------------------------------------
@dataclass(frozen=True)
class Gradebook:
    """The result of :func:`grade_submissions`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per file and question, columns :data:`COLUMNS`, sorted by file.
    path : Path
        The CSV written.
    notes : tuple of str
        Things an instructor should look at: files skipped, submissions graded with the
        default id ``"demo"`` or none, one student id in several files of an exercise.
    """

    table: pd.DataFrame
    path: Path
    notes: tuple[str, ...] = ()

    def totals(self) -> pd.DataFrame:
        """Points per student (rows) and exercise (columns), with ``total`` and ``of``.

        ``of`` counts every exercise in the gradebook, so a missing submission counts as zero
        points of that exercise's maximum. A submission without a student id is listed under
        its file name in brackets.
        """
        rows = self.table.assign(student=[s or f"({f})" for s, f in
                                          zip(self.table["student"], self.table["file"],
                                              strict=True)])
        files = rows.groupby(["student", "exercise", "file"])[["points", "max_points"]].sum()
        # A student who handed in an exercise twice keeps the better file, not the sum.
        best = files["points"].groupby(["student", "exercise"]).max()
        points = best.unstack("exercise")
        possible = files["max_points"].groupby("exercise").max()
        points["total"] = points.sum(axis=1)
        points["of"] = possible.sum()
        return points


def _safe(text) -> str:
    """One-line text that a spreadsheet will not run as a formula (student-controlled)."""
    text = " ".join(str(text).split())[:500]
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _write_csv(table: pd.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    shown = table.copy()
    for column in ("file", "student", "exercise", "question", "status", "feedback"):
        shown[column] = shown[column].map(_safe)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            shown.to_csv(fh, index=False, float_format="%g")
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a gradebook is shared with staff
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _notes(table: pd.DataFrame, skipped: list[str]) -> list[str]:
    notes = []
    if skipped:
        notes.append(f"skipped {len(skipped)} file(s) that are not .ipynb: "
                     f"{', '.join(skipped[:10])}{' ...' if len(skipped) > 10 else ''}")
    files = table.drop_duplicates("file")
    # Graded (not failed) files whose setup used the notebooks' default id or none at all.
    graded = table[table["status"].isin(STATUSES[:3])].drop_duplicates("file")
    for _, row in graded[graded["student"].isin(["", "demo"])].iterrows():
        notes.append(f"{row['file']}: graded with student id {row['student'] or None!r}, "
                     "not the student's own")
    known = files[~files["student"].isin(["", "demo"])]  # "demo" is noted above
    for (student, exercise), group in known.groupby(["student", "exercise"]):
        if len(group) > 1:
            notes.append(f"student id {student!r} submitted {exercise} in {len(group)} files: "
                         f"{', '.join(group['file'])}")
    return notes


def grade_submissions(folder: str | Path, out: str | Path = "gradebook.csv", *,
                      exercise: str | None = None, timeout: float = 300,
                      notebook_timeout: float = 1800, jobs: int = 1,
                      progress: Callable[[int, int, str, pd.DataFrame], None] | None = None,
                      ) -> Gradebook:
    """Grade every ``*.ipynb`` under ``folder`` and write the gradebook CSV.

    Parameters
    ----------
    folder : str or Path
        Submissions, one notebook per student and exercise, in any layout of subfolders
        (hidden folders and ``.ipynb_checkpoints`` are skipped).
    out : str or Path
        The gradebook CSV, written to a temporary file and renamed into place.
    exercise : str, optional
        Grade every notebook as this exercise (default: each notebook's own, from its release
        metadata, its ``exercises.setup`` call or its file name).
    timeout : float
        Seconds each cell, and each question's check, may run before it is interrupted.
    notebook_timeout : float
        Seconds all of a notebook's own cells together may run; cells left are not run.
    jobs : int
        Notebooks graded at the same time (two kernels each: the student's and the judge).
    progress : callable, optional
        ``progress(done, total, file, rows)`` after each notebook (for a command line).

    Returns
    -------
    Gradebook
        The table (also written to ``out``), the CSV's path and notes for the instructor.

    Raises
    ------
    GradingError
        ``folder`` is missing or holds no notebook, a bad argument, no kernel can start, or
        the judge cannot import the checks.
    """
    _check_limits(exercise, timeout, notebook_timeout, jobs)
    root = Path(folder)
    if not root.is_dir():
        raise GradingError(f"submissions folder {str(folder)!r} does not exist or is not a "
                           "folder")
    visible = [p for p in sorted(root.rglob("*")) if p.is_file() and not any(
        part.startswith(".") for part in p.relative_to(root).parts)]
    notebooks = [p for p in visible if p.suffix == ".ipynb"]
    skipped = [p.relative_to(root).as_posix() for p in visible if p.suffix != ".ipynb"
               and p.resolve() != Path(out).resolve()]
    if not notebooks:
        raise GradingError(f"no .ipynb files under {str(folder)!r}")

    async def grade_all() -> list[pd.DataFrame]:
        gate = asyncio.Semaphore(jobs)
        done = 0

        async def one(path: Path) -> pd.DataFrame:
            nonlocal done
            async with gate:
                name = path.relative_to(root).as_posix()
                rows = pd.DataFrame(await _grade_file(path, name, exercise, timeout,
                                                      notebook_timeout), columns=list(COLUMNS))
            done += 1
            if progress is not None:
                progress(done, len(notebooks), name, rows)
            return rows

        return await asyncio.gather(*(one(p) for p in notebooks))

    table = pd.concat(_sync(grade_all()), ignore_index=True)
    path = Path(out)
    _write_csv(table, path)
    return Gradebook(table=table, path=path, notes=tuple(_notes(table, skipped)))
