"""What a submitted notebook's own kernel says each answer earns, and why the grader trusts it.

:func:`_execute` runs one submission in a fresh :class:`~.kernel._Kernel`. First the
student's code cells, top to bottom, with a time limit per cell and one for the whole
notebook; errors do not stop the run, they are recorded per cell. Then cells of the grader's
own (:data:`_HOOKS`), never the student's checks: clear the hooks a notebook may have
registered, read which exercise and student id ``exercises.setup`` was called with, import
``sim.exercises`` afresh from disk so nothing the notebook patched takes part, and grade each
``answer_<question id>`` in a cell of its own, so a strategy that loops only costs its own
question. Each grader cell prints its verdict as JSON between markers holding a random nonce
made for this run; :func:`_verdict` reads exactly one such block and nothing else, so printed
garbage or forged markers cannot change a grade.

Everything that happened is recorded in a :class:`_Run`, which :mod:`.grading` turns into rows
of points.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field

from .kernel import _Kernel
from .registry import EXERCISES

#: Statuses a row can have (a row of the gradebook; :mod:`.grading` re-exports this). The first
#: three are the verdicts a check gives; the grader adds the last two.
STATUSES = ("correct", "incorrect", "not attempted", "timed out", "error")


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
