"""Grade submitted exercise notebooks into a gradebook CSV, whatever the notebooks do.

:func:`grade_submissions` finds every ``*.ipynb`` under a folder (a file per student and
exercise, in any layout) and grades each in a fresh Python kernel of its own:

1. The student's code cells run top to bottom, in a temporary working folder, with a time
   limit per cell and one for the whole notebook. Errors do not stop the run, so a crash in
   question 2 still lets questions 3 to 5 be graded; a cell over its limit is interrupted.
2. The grader then runs cells of its own, never the student's checks. The first clears the
   kernel's event hooks; the next reads which exercise and student id ``exercises.setup``
   was called with, then drops every ``sim.exercises`` module and imports the package afresh
   from disk, so a patched ``exercises.check`` (or grade, question or cache) takes no part;
   it rebuilds the student's parameters from the id. One cell per question then grades the
   variable ``answer_<question id>`` (the convention every exercise follows and
   :func:`sim.exercises.release.release` enforces) with :func:`sim.exercises.grade`, so a
   strategy that loops only costs its own question.
3. Each grader cell prints its verdict as JSON between markers holding a random nonce made for
   this run; the student's output is never read, so printed garbage or forged markers cannot
   change a grade. Points come from this process's own registry, not from the kernel.

Every question gets a row with a status: ``correct``, ``incorrect`` (with the question's hint),
``not attempted``, ``timed out`` (its cell, or checking it, ran over the limit) or ``error``
(its cell raised, the notebook is not a notebook, the kernel died, setup never ran). A broken
submission gets zeros and the reason, never a crashed grader.

Limits: grading runs the students' code with your permissions. The steps above defeat
accidents and naive tampering, not a determined attacker (student code can patch the
simulation itself or read files); grade untrusted submissions in a container or a throwaway
account.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import math
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import CRMLabError
from .registry import EXERCISES

__all__ = ["COLUMNS", "STATUSES", "Gradebook", "GradingError", "grade_notebook",
           "grade_submissions"]

#: Columns of the gradebook, one row per submitted file and question.
COLUMNS = ("file", "student", "exercise", "question", "points", "max_points", "status",
           "feedback")
#: Statuses a row can have.
STATUSES = ("correct", "incorrect", "not attempted", "timed out", "error")
_MAX_BYTES = 50_000_000  # a submission larger than this is not a hand-written notebook
_CAPTURE = 1_000_000  # characters of a grader cell's stdout kept: the verdict is far smaller
_GRACE = 10  # most seconds an interrupted kernel gets to answer before it is stopped
# Seconds to wait for a cell's last output after its reply: generous for the grader's own
# cells (their output is the verdict), short for the student's and the probe (output dropped).
_IOPUB_GRADER, _IOPUB_STUDENT = 10, 1


class GradingError(CRMLabError):
    """The grading itself cannot run (no submissions, no kernel), as opposed to a bad
    submission, which only earns zeros."""


# -- code the grader runs in the student's kernel, after the student's cells ----------------------
# Before the student's cells: keep the kernel's stdout, which a notebook may silence.
_BEFORE = "import sys as _crmlab_sys\n_crmlab_stdout = _crmlab_sys.stdout"
_HOOKS = """\
import threading as _crmlab_threading

_crmlab_sys.stdout = _crmlab_stdout
# Hooks a notebook registered would otherwise run around the grader's cells and see them.
for _crmlab_callbacks in get_ipython().events.callbacks.values():
    _crmlab_callbacks.clear()
_crmlab_sys.settrace(None)
_crmlab_sys.setprofile(None)
_crmlab_threading.settrace(None)


def _crmlab_describe(err):
    try:
        return f"{type(err).__name__}: {err}"[:300]
    except Exception:
        return type(err).__name__


def _crmlab_emit(nonce, payload):
    import json
    _crmlab_sys.stdout.write(f"\\n@@CRMLAB-GRADER-BEGIN-{nonce}@@{json.dumps(payload)}"
                             f"@@CRMLAB-GRADER-END-{nonce}@@\\n")
    _crmlab_sys.stdout.flush()


def _crmlab_prepare(nonce, expected):
    import importlib
    state = {"exercise": None, "student": None, "error": None}
    try:  # the session is the notebook's claim: which exercise, which student id
        old = _crmlab_sys.modules.get("sim.exercises.registry")
        params = None if old is None else old._session.get("params")
        if params is not None:
            exercise, student = params.exercise, params.student_id
            if type(exercise) is not str or not (student is None or type(student) is str):
                raise TypeError("it holds something other than what exercises.setup made")
            state["exercise"], state["student"] = exercise, student
    except Exception as err:
        state["error"] = f"could not read the exercise session ({_crmlab_describe(err)})"
    try:  # fresh grading code from disk: nothing the notebook patched survives
        for name in [m for m in _crmlab_sys.modules
                     if m == "sim.exercises" or m.startswith("sim.exercises.")]:
            del _crmlab_sys.modules[name]
        fresh = importlib.import_module("sim.exercises")
        name = expected or state["exercise"]
        if state["error"] is None:
            if state["exercise"] is None:
                state["error"] = ("exercises.setup(...) never ran, so the notebook has no "
                                  "student id or parameters: its setup cell failed or is gone")
            elif name != state["exercise"]:
                state["error"] = (f"the notebook was set up for exercise "
                                  f"{state['exercise']!r}, not {name!r}")
            else:
                state["params"] = fresh.EXERCISES[name].params(state["student"])
                state["grade"] = fresh.grade
    except Exception as err:
        state["error"] = f"the grader could not set up ({_crmlab_describe(err)})"
    globals()["_crmlab_state"] = state
    _crmlab_emit(nonce, {k: state[k] for k in ("exercise", "student", "error")})


def _crmlab_check(nonce, qid):
    state = _crmlab_state
    payload = {"question": qid}
    try:
        feedback = state["grade"](state["params"], qid, globals().get("answer_" + qid))
        payload["status"], payload["message"] = str(feedback.status), str(feedback.message)
    except Exception as err:
        payload["error"] = f"checking the answer raised {_crmlab_describe(err)}"
    _crmlab_emit(nonce, payload)
"""


# -- running one notebook -------------------------------------------------------------------------
@dataclass
class _Run:
    """What happened to one submission."""

    exercise: str | None = None
    student: str | None = None
    fatal: tuple[str, str] | None = None  # (status, reason) for every question
    events: dict[int, tuple[str, str]] = field(default_factory=dict)  # cell -> (status, text)
    verdicts: dict[str, tuple[str, str]] = field(default_factory=dict)  # qid -> (status, text)
    cells: dict[int, str] = field(default_factory=dict)  # cell number -> source


def _head(source: str) -> str:
    line = next((x.strip() for x in source.splitlines() if x.strip()), "")
    return line if len(line) <= 40 else line[:37] + "..."


class _Kernel:
    """A fresh kernel for one submission, run cell by cell.

    Only the stdout of the grader's own cells is kept (capped); the student's output is
    dropped as it arrives, so a notebook that prints gigabytes cannot fill memory. A cell over
    its time limit is interrupted; a kernel that then does not answer a trivial cell within
    a grace period is declared stuck.
    """

    def __init__(self, nonce: str):
        import nbformat
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager
        from nbclient import NotebookClient

        class ThisPython(KernelSpecManager):
            """The grader's own interpreter, whatever kernels are installed elsewhere."""

            def get_kernel_spec(self, kernel_name):
                import ipykernel.kernelspec as spec
                return self.kernel_spec_class(resource_dir=spec.RESOURCES,
                                              **spec.get_kernel_dict())

        kernel = self

        class Client(NotebookClient):
            def output(self, outs, msg, display_id, cell_index):
                content = msg.get("content", {})
                if (kernel.keep_output and msg.get("msg_type") == "stream"
                        and content.get("name") == "stdout"):
                    kept = kernel.captured.setdefault(cell_index, [])
                    if sum(map(len, kept)) < _CAPTURE:
                        kept.append(str(content.get("text", "")))
                return None

        self.keep_output = False  # True while the grader's own cells run
        self.captured: dict[int, list[str]] = {}
        self._replies: dict[int, dict] = {}
        self._new_cell = nbformat.v4.new_code_cell
        self._nb = nbformat.v4.new_notebook()
        self._km = AsyncKernelManager(kernel_name="crmlab-grader",
                                      kernel_spec_manager=ThisPython())
        # On time out nbclient interrupts the kernel and reports this error, named with the
        # nonce so that no exception a notebook raises can pass for it. (Letting nbclient
        # raise CellTimeoutError instead leaves that cell's output reader running, and it then
        # swallows the output of later cells.)
        self._overtime = f"GraderTimeout{nonce}"
        self._client = Client(self._nb, km=self._km, allow_errors=True,
                              on_cell_executed=self._record, interrupt_on_timeout=True,
                              error_on_timeout={"ename": self._overtime, "evalue": "",
                                                "traceback": []})
        self._folder = tempfile.mkdtemp(prefix="crmlab-grade-")

    def _record(self, cell, cell_index, execute_reply):
        self._replies[cell_index] = (execute_reply or {}).get("content", {})

    async def start(self) -> None:
        try:  # in a folder of its own: files the notebook writes go nowhere that matters
            await self._km.start_kernel(cwd=self._folder, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
            await self._client.async_start_new_kernel_client()
        except Exception as err:
            raise GradingError(f"could not start a Python kernel to grade in: {err}") from err

    async def stop(self) -> None:
        if self._client.kc is not None:
            self._client.kc.stop_channels()
        with contextlib.suppress(Exception):  # already dead or never started
            await self._km.shutdown_kernel(now=True)
        shutil.rmtree(self._folder, ignore_errors=True)

    async def _run(self, source: str, seconds: float, iopub: float) -> tuple[int, str]:
        from nbclient.exceptions import DeadKernelError

        index = len(self._nb.cells)
        self._nb.cells.append(self._new_cell(source))
        self._client.timeout = max(1, math.ceil(seconds))
        self._client.iopub_timeout = iopub
        try:
            await self._client.async_execute_cell(self._nb.cells[index], index)
        except DeadKernelError:
            return index, "dead"
        overtime = self._replies.get(index, {}).get("ename") == self._overtime
        return index, "timeout" if overtime else "ok"

    async def cell(self, source: str, seconds: float) -> tuple[str, dict, str]:
        """Run ``source`` for at most ``seconds``.

        Returns ``(outcome, reply, stdout)``: outcome ``"ok"`` (the reply says whether it
        raised), ``"timeout"`` (interrupted, the kernel is usable), ``"stuck"`` (it ignored
        the interrupt) or ``"dead"``; stdout only for the grader's own cells.
        """
        iopub = _IOPUB_GRADER if self.keep_output else _IOPUB_STUDENT
        index, outcome = await self._run(source, seconds, iopub)
        if outcome == "timeout":
            grace = min(_GRACE, max(seconds, 5))  # a cell cut short still gets 5 s
            _, probe = await self._run("None", grace, _IOPUB_STUDENT)
            outcome = {"ok": "timeout", "timeout": "stuck"}.get(probe, probe)
        return (outcome, self._replies.get(index, {}) if outcome == "ok" else {},
                "".join(self.captured.get(index, ())))


async def _student_cells(kernel: _Kernel, run: _Run, timeout: float,
                         notebook_timeout: float) -> bool:
    """Run the submission's code cells; record errors and time-outs. False if it cannot go on."""
    deadline = time.monotonic() + notebook_timeout
    for number, source in run.cells.items():
        left = deadline - time.monotonic()
        where = f"cell {number} (`{_head(source)}`)"
        if left <= 0:
            run.events[number] = ("timed out", f"the notebook ran out of its "
                                  f"{notebook_timeout:g} s time limit before {where}")
            continue
        outcome, reply, _ = await kernel.cell(source, min(timeout, left))
        over = (f"{where} ran for more than {timeout:g} s and was stopped (an endless loop?)"
                if timeout <= left else
                f"the notebook ran out of its {notebook_timeout:g} s time limit in {where}")
        if outcome == "dead":
            run.fatal = ("error", f"the Python kernel died in {where}: code that exits or "
                         "crashes Python stops the whole notebook, so no answer could be graded")
            return False
        if outcome == "stuck":
            run.fatal = ("timed out", f"{over}, and it ignored the interrupt, so the kernel "
                         "was stopped and no answer could be graded")
            return False
        if outcome == "timeout":
            run.events[number] = ("timed out", over)
        elif reply.get("status") == "error":
            text = f"{reply.get('ename', 'Error')}: {reply.get('evalue', '')}"
            run.events[number] = ("error", f"{where} raised {text[:300]}")
    return True


async def _grader_cells(kernel: _Kernel, run: _Run, expected: str | None, nonce: str,
                        timeout: float) -> None:
    """Read the session, re-import the checks and grade every question, one cell each."""
    kernel.keep_output = True
    for source in (_HOOKS, f"_crmlab_prepare({nonce!r}, {expected!r})"):
        outcome, reply, stdout = await kernel.cell(source, timeout)
        if outcome != "ok" or reply.get("status") == "error":
            detail = {"dead": "the kernel died", "ok": "it raised an error"}.get(
                outcome, f"it ran for more than {timeout:g} s")
            run.fatal = ("error", f"the grader could not read the notebook's session "
                         f"({detail}): the notebook may have changed Python itself")
            return
    claim = _verdict(stdout, nonce)
    if claim is None:
        run.fatal = ("error", "the grader's output went missing: the notebook may have "
                     "replaced print or sys.stdout")
        return
    run.exercise, run.student = (value if isinstance(value, str) else None
                                 for value in (claim.get("exercise"), claim.get("student")))
    if claim.get("error") or run.exercise not in EXERCISES:
        run.fatal = ("error", str(claim.get("error") or f"the notebook was set up for "
                                  f"{run.exercise!r}, which this grader does not know"))
        return
    questions = EXERCISES[run.exercise].question_ids
    for qid in questions:
        outcome, _, stdout = await kernel.cell(f"_crmlab_check({nonce!r}, {qid!r})", timeout)
        if outcome == "timeout":
            run.verdicts[qid] = ("timed out", f"checking the answer took more than "
                                 f"{timeout:g} s (does the function loop?)")
            continue
        if outcome in ("dead", "stuck"):
            reason = ("the kernel died while checking the answer" if outcome == "dead" else
                      f"checking the answer took more than {timeout:g} s and the kernel was "
                      "stopped")
            run.verdicts[qid] = ("error" if outcome == "dead" else "timed out", reason)
            for rest in questions:
                run.verdicts.setdefault(rest, ("error", f"not checked: {reason}"))
            return
        verdict = _verdict(stdout, nonce)
        if verdict is None:
            run.verdicts[qid] = ("error", "the check's output went missing: the notebook may "
                                 "have replaced print or sys.stdout")
        elif verdict.get("error") or verdict.get("status") not in STATUSES[:3]:
            run.verdicts[qid] = ("error", str(verdict.get("error") or "no verdict"))
        else:
            run.verdicts[qid] = (verdict["status"], str(verdict.get("message", "")))


async def _execute(nb, run: _Run, expected: str | None, timeout: float,
                   notebook_timeout: float) -> None:
    """Run the submission's code cells, then the grader's, recording into ``run``."""
    run.cells = {number: cell.source for number, cell in enumerate(nb.cells, start=1)
                 if cell.get("cell_type") == "code" and isinstance(cell.get("source"), str)}
    nonce = secrets.token_hex(16)
    kernel = _Kernel(nonce)
    try:
        await kernel.start()
        await kernel.cell(_BEFORE, timeout)
        if await _student_cells(kernel, run, timeout, notebook_timeout):
            await _grader_cells(kernel, run, expected, nonce, timeout)
    finally:
        await kernel.stop()


def _verdict(text: str | None, nonce: str) -> dict | None:
    """The JSON the grader's cell printed between its nonce markers, or None."""
    text = text or ""
    found = re.findall(rf"@@CRMLAB-GRADER-BEGIN-{nonce}@@(.*?)@@CRMLAB-GRADER-END-{nonce}@@",
                       text, flags=re.DOTALL)
    if len(found) != 1:
        return None
    try:
        payload = json.loads(found[0])
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


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
        Notebooks graded at the same time (one kernel each).
    progress : callable, optional
        ``progress(done, total, file, rows)`` after each notebook (for a command line).

    Returns
    -------
    Gradebook
        The table (also written to ``out``), the CSV's path and notes for the instructor.

    Raises
    ------
    GradingError
        ``folder`` is missing or holds no notebook, a bad argument, or no kernel can start.
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
