"""Grade one submitted notebook in two kernels: the student's, which only hands in answers, and
the grader's judge, which decides.

:func:`_execute` starts two fresh :class:`~.kernel._Kernel` for a submission.

1. **The student's kernel** runs the notebook's code cells, top to bottom, with a time limit
   per cell and one for the whole notebook; errors do not stop the run, they are recorded per
   cell. Then it runs cells of the grader's own (:data:`_HOOKS`), never the student's checks:
   they clear the hooks a notebook may have registered, write down which exercise and student
   id ``exercises.setup`` was called with, import ``sim.exercises`` afresh from disk, and hand
   in each ``answer_<question id>`` as a file of plain data (:mod:`.handin`), one cell per
   question, so a strategy that loops only costs its own question. A function is handed in as
   the record of its calls, made while the question's check runs it there.
2. **The judge** is a kernel in which no student code ever runs. The grader copies each
   hand-in file into the judge's folder without reading it (regular files only, at most
   :data:`_HANDIN_BYTES`), stops the student's kernel, and has the judge grade each hand-in
   with the registry's own checks (:mod:`.judge`), replaying functions from their records; its
   verdicts come back as JSON between markers holding a random nonce made for this run, read
   by :func:`_verdict`. The judge starts, and imports the checks, while the student's cells
   run.

Trust: the student's kernel is the student's. Its code runs first and can change anything in
that interpreter (input transformers, ``json``, ``print``, the grader's cells as they arrive),
so nothing it says is taken as a verdict: it only chooses which answers to hand in, and the
judge grades those as they are. A forged hand-in is an answer like any other; a function's
forged record is a list of plans that the judge's own simulation plays out and the check judges.
Two things still come from the student's kernel and are believed: the student id and exercise
the notebook claims (they only choose whose numbers are graded), and, for function answers
only, the kernel's own check of the function, which may *lower* the grade, never raise it (a
replay cannot see how long the function took). What this does not defend against is code that
acts outside the interpreter: it runs with the grader's permissions, and can rewrite files, the
grader's own code among them; grade untrusted work in a container or a throwaway account.

Everything that happened is recorded in a :class:`_Run`, which :mod:`.grading` turns into rows
of points.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from .kernel import GradingError, _Kernel
from .registry import EXERCISES

#: Statuses a row can have (a row of the gradebook; :mod:`.grading` re-exports this). The first
#: three are the verdicts a check gives; the grader adds the last two.
STATUSES = ("correct", "incorrect", "not attempted", "timed out", "error")

_CLAIM_BYTES = 65_536  # the claim is an exercise name, a student id and a reason
# Largest hand-in copied to the judge: the capstone's three-year strategy makes about 1 MB. A
# forged giant costs only the judge; the grader copies it without reading it.
_HANDIN_BYTES = 100_000_000
_WARM_UP = 120  # seconds the judge may take to start and import the checks


# -- code the grader runs in the student's kernel, after the student's cells ----------------------
_HOOKS = """\
import sys as _crmlab_sys
import threading as _crmlab_threading

from IPython.core.inputtransformer2 import TransformerManager as _crmlab_Transformers

# Defence in depth only (no grade is decided in this kernel): hooks the notebook registered
# would run around the grader's cells. Its input transformers have seen this very cell already.
_crmlab_shell = get_ipython()
for _crmlab_callbacks in _crmlab_shell.events.callbacks.values():
    _crmlab_callbacks.clear()
_crmlab_shell.input_transformer_manager = _crmlab_Transformers()  # IPython's own cleanup only
_crmlab_shell.input_transformers_post.clear()
_crmlab_shell.ast_transformers.clear()
_crmlab_sys.settrace(None)
_crmlab_sys.setprofile(None)
_crmlab_threading.settrace(None)


def _crmlab_describe(err):
    try:
        return f"{type(err).__name__}: {err}"[:300]
    except Exception:
        return type(err).__name__


def _crmlab_prepare(folder, expected):
    import importlib
    import json
    import os
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
    try:  # fresh grading code from disk, to run the function answers' checks with
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
                state["handin"] = importlib.import_module("sim.exercises.handin")
    except Exception as err:
        state["error"] = f"the grader could not set up ({_crmlab_describe(err)})"
    globals()["_crmlab_state"] = state
    with open(os.path.join(folder, "claim.json"), "w", encoding="utf-8") as fh:
        json.dump({k: state[k] for k in ("exercise", "student", "error")}, fh)


def _crmlab_export(folder, qid):
    import os
    state = _crmlab_state
    state["handin"].write_answer(os.path.join(folder, f"answer-{qid}.json"), qid,
                                 globals().get("answer_" + qid), state["grade"], state["params"])
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
        if outcome == "ok" and any(  # exit() or quit(): the kernel ends after this cell
                isinstance(p, dict) and p.get("source") == "ask_exit" and not p.get("keepkernel")
                for p in reply.get("payload") or ()):
            run.fatal = ("error", f"the notebook exits Python in {where} (`exit()` or "
                         "`quit()`), which stops the whole notebook, so no answer could be "
                         "graded")
            return False
        if outcome == "timeout":
            run.events[number] = ("timed out", over)
        elif reply.get("status") == "error":
            text = f"{reply.get('ename', 'Error')}: {reply.get('evalue', '')}"
            run.events[number] = ("error", f"{where} raised {text[:300]}")
    return True


# -- files out of the student's kernel ------------------------------------------------------------
def _open_regular(path: Path):
    """``path`` opened for reading if it is a regular file (not a link, pipe or device)."""
    flags = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
             | getattr(os, "O_BINARY", 0))
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


def _read_claim(path: Path) -> dict | None:
    """The notebook's claim (exercise, student id, error), or None if it is not one."""
    fh = _open_regular(path)
    if fh is None:
        return None
    with fh:
        data = fh.read(_CLAIM_BYTES + 1)
    try:
        claim = json.loads(data) if len(data) <= _CLAIM_BYTES else None
    except ValueError:
        return None
    return claim if isinstance(claim, dict) else None


def _copy_handin(src: Path, dst: Path) -> str:
    """Copy a hand-in file to the judge's folder without reading it; the reason if it cannot."""
    fh = _open_regular(src)
    if fh is None:
        return "the answer was not handed in (the notebook may have changed Python itself)"
    with fh, open(dst, "wb") as out:
        copied = 0
        while chunk := fh.read(1 << 20):
            copied += len(chunk)
            if copied > _HANDIN_BYTES:
                return (f"the answer handed in is larger than {_HANDIN_BYTES // 1_000_000} MB: "
                        "give a number, a text or a function, as the question asks")
            out.write(chunk)
    return ""


# -- the two kernels ------------------------------------------------------------------------------
async def _hand_in(kernel: _Kernel, judge: _Kernel, run: _Run, expected: str | None,
                   nonce: str, timeout: float) -> dict[str, Path]:
    """Have the student's kernel hand in its claim and answers; copy them to the judge.

    Returns the hand-in file in the judge's folder of each question that has one; the others
    get their verdict (time-out, error) in ``run`` here.
    """
    folder = Path(kernel.folder) / f".crmlab-{nonce}"
    folder.mkdir()
    for source in (_HOOKS, f"_crmlab_prepare({str(folder)!r}, {expected!r})"):
        outcome, reply, _ = await kernel.cell(source, timeout)
        if outcome != "ok" or reply.get("status") == "error":
            raised = f"it raised {reply.get('ename', 'an error')}: {reply.get('evalue', '')}"
            detail = {"dead": "the kernel died", "ok": raised[:300]}.get(
                outcome, f"it ran for more than {timeout:g} s")
            run.fatal = ("error", f"the grader could not read the notebook's session "
                         f"({detail}): the notebook may have changed Python itself")
            return {}
    claim = _read_claim(folder / "claim.json")
    if claim is None:
        run.fatal = ("error", "the grader could not read the notebook's session back: the "
                     "notebook may have changed Python itself")
        return {}
    run.exercise, run.student = (value if isinstance(value, str) else None
                                 for value in (claim.get("exercise"), claim.get("student")))
    if claim.get("error") or run.exercise not in EXERCISES:
        run.fatal = ("error", str(claim.get("error") or f"the notebook was set up for "
                                  f"{run.exercise!r}, which this grader does not know")[:500])
        return {}
    handed: dict[str, Path] = {}
    questions = EXERCISES[run.exercise].question_ids
    for qid in questions:
        outcome, reply, _ = await kernel.cell(f"_crmlab_export({str(folder)!r}, {qid!r})",
                                              timeout)
        if outcome == "timeout":
            run.verdicts[qid] = ("timed out", f"checking the answer took more than "
                                 f"{timeout:g} s (does the function loop?)")
        elif outcome in ("dead", "stuck"):
            reason = ("the kernel died while checking the answer" if outcome == "dead" else
                      f"checking the answer took more than {timeout:g} s and the kernel was "
                      "stopped")
            run.verdicts[qid] = ("error" if outcome == "dead" else "timed out", reason)
            for rest in questions:
                run.verdicts.setdefault(rest, ("error", f"not checked: {reason}"))
            break
        elif reply.get("status") == "error":
            text = f"{reply.get('ename', 'Error')}: {reply.get('evalue', '')}"[:300]
            run.verdicts[qid] = ("error", f"the answer could not be handed in ({text}): the "
                                 "notebook may have changed Python itself")
        else:
            target = Path(judge.folder) / f"answer-{qid}.json"
            reason = _copy_handin(folder / f"answer-{qid}.json", target)
            if reason:
                run.verdicts[qid] = ("error", reason)
            else:
                handed[qid] = target
    return handed


async def _warm_up(judge: _Kernel) -> None:
    """Start the judge and import the checks, while the student's cells run."""
    await judge.start()
    outcome, reply, _ = await judge.cell(
        "from sim.exercises.judge import main as _crmlab_judge", _WARM_UP)
    if outcome != "ok" or reply.get("status") == "error":
        detail = (f"{reply.get('ename')}: {reply.get('evalue')}" if outcome == "ok" else
                  f"the kernel {'died' if outcome == 'dead' else 'took too long'}")
        raise GradingError(f"the grader's judge could not import sim.exercises ({detail})")


async def _judge(judge: _Kernel, run: _Run, handed: dict[str, Path], nonce: str,
                 timeout: float) -> None:
    """Grade each hand-in in the judge, one cell per question."""
    judge.keep_output = True
    for qid, path in handed.items():
        outcome, reply, stdout = await judge.cell(
            f"_crmlab_judge({nonce!r}, {str(path)!r}, {run.exercise!r}, {run.student!r}, "
            f"{qid!r})", timeout)
        if outcome == "timeout":
            run.verdicts[qid] = ("timed out", f"checking the answer took more than "
                                 f"{timeout:g} s")
            continue
        if outcome in ("dead", "stuck"):
            reason = (f"the grader's judge {'died' if outcome == 'dead' else 'stopped'} while "
                      "checking the answer (is the answer very large?)")
            run.verdicts[qid] = ("error", reason)
            for rest in handed:
                run.verdicts.setdefault(rest, ("error", f"not checked: {reason}"))
            return
        verdict = _verdict(stdout, nonce)
        if reply.get("status") == "error" or verdict is None:
            run.verdicts[qid] = ("error", "the grader's judge gave no verdict ("
                                 f"{reply.get('ename', 'no output')}: {reply.get('evalue', '')})")
        elif verdict.get("error") or verdict.get("status") not in (*STATUSES[:3], "error"):
            run.verdicts[qid] = ("error", str(verdict.get("error") or "no verdict"))
        else:  # a check's verdict, or the judge's reason why the answer cannot be graded
            run.verdicts[qid] = (verdict["status"], str(verdict.get("message", "")))


async def _execute(nb, run: _Run, expected: str | None, timeout: float,
                   notebook_timeout: float) -> None:
    """Run the submission's code cells, hand its answers in and judge them, into ``run``.

    Raises
    ------
    GradingError
        A kernel cannot start, or the judge cannot import the checks.
    """
    run.cells = {number: cell.source for number, cell in enumerate(nb.cells, start=1)
                 if cell.get("cell_type") == "code" and isinstance(cell.get("source"), str)}
    nonce = secrets.token_hex(16)
    student, judge = _Kernel(nonce), _Kernel(nonce)
    warm = asyncio.ensure_future(_warm_up(judge))
    try:
        await student.start()
        handed: dict[str, Path] = {}
        if await _student_cells(student, run, timeout, notebook_timeout):
            handed = await _hand_in(student, judge, run, expected, nonce, timeout)
        await student.stop()  # no code of the notebook runs from here on
        await warm
        if handed:
            await _judge(judge, run, handed, nonce, timeout)
    finally:
        if not warm.done():
            warm.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await warm  # its error, if any, was raised above
        await student.stop()
        await judge.stop()


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
