"""The process that runs one team's entry: ``python -m sim.tournament.worker``.

The tournament (:mod:`.sandbox`) starts one worker per entry, in an empty private folder with
a scrubbed environment, and talks to it over its standard input and output (frames of
:mod:`.pipe`). Its first frame says which folders to hide. Before it reads the entry, the worker
imports what strategies use (numpy, pandas, ``sim``), takes its working folder and the ``sim``
checkout off ``sys.path``, confines itself with the operating system (:mod:`.confine`: no
network, those folders hidden, a user of its own, no privileges, where the system allows),
sets its resource limits and installs the audit hook (:mod:`.guard`). Its first answer says
which limits and layers are in force. Then it serves requests:

``load``
    the entry's source text (the worker is never told where the file is): compile it;
``run``
    a new run starts: execute the compiled file in a fresh module (so nothing an entry
    remembers in module variables leaks from one run into the next), find ``strategy``, and
    call its ``for_run()`` if it has one, as the engine does. The message carries the run's
    ``key`` for the entry's own random numbers, never the run's seed (which would let the entry
    replay its market and read the latent truth): see :func:`.sandbox.entry_key`;
``decide``
    a cycle's observable view (:mod:`.wire`): rebuild a read-only ``FirmView``, call
    ``strategy(view)``, and send back its actions as a plain dict;
``exit``
    stop.

Every reply is JSON: ``{"ok": true, ...}`` or ``{"ok": false, "kind": ..., "detail": ...}``
with ``kind`` one of ``"error"``, ``"memory"``, ``"invalid"``, ``"forbidden"``, ``"load"``.
Python's ``random`` and numpy's legacy global generator are reseeded from the run's key and
the cycle before each call, so even an entry that draws from them is reproducible. What the
entry prints is discarded.
"""

from __future__ import annotations

import argparse
import io
import json
import linecache
import os
import pickle
import sys
import traceback
import types

__all__ = ["main"]

#: Longest ``detail`` sent back, characters.
DETAIL_CHARS = 2000


class _Sink(io.TextIOBase):
    """Where the entry's ``print`` goes: kept to the last few thousand characters."""

    def __init__(self, keep: int = 4000):
        self._keep = keep
        self._text = ""

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        self._text = (self._text + text)[-self._keep:]
        return len(text)


def _take_pipes() -> tuple[int, int]:
    """The protocol's pipes (stdin and stdout, duplicated); fd 0 then reads /dev/null and fd 1
    writes to stderr, so nothing the entry prints or reads touches the protocol."""
    rx, tx = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return rx, tx


def _clean_sys_path(sim_parent: str) -> None:
    """Drop the working folder and the folder ``sim`` was imported from (a checkout that may
    hold the entries) from ``sys.path``, unless it is a standard install location."""
    import sysconfig

    real = os.path.realpath
    standard = {real(p) for p in sysconfig.get_paths().values()}
    drop = {real(os.getcwd()), real(sim_parent)} - standard
    sys.path[:] = [p for p in sys.path if p and real(p) not in drop]


def _seed_globals(key: int, cycle: int) -> None:
    """Seed ``random`` and numpy's legacy global generator from the run's key and cycle."""
    import random

    import numpy as np

    state = np.random.SeedSequence([int(key), int(cycle) + 1]).generate_state(2)
    random.seed(int(state[0]) << 32 | int(state[1]))
    np.random.seed(int(state[0]))  # noqa: NPY002 (the legacy global an entry may draw from)


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _describe(exc: BaseException, filename: str) -> str:
    """The exception with the last lines of its traceback that are in the entry's file."""
    if isinstance(exc, SyntaxError):  # one line, where format_exception_only draws a caret
        where = f"line {exc.lineno}: {(exc.text or '').strip()}" if exc.lineno else ""
        return f"{type(exc).__name__}: {exc.msg} ({where})"[:DETAIL_CHARS]
    try:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
        lines = [f"line {f.lineno} in {f.name}: {(f.line or '').strip()}" for f in frames[-3:]]
        message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    except Exception:  # a hostile __str__, say
        lines, message = [], type(exc).__name__
    text = message if not lines else f"{message} ({'; '.join(lines)})"
    return text[:DETAIL_CHARS]


class _Entry:
    """One team's file inside the worker."""

    def __init__(self, refusals: list):
        self.refusals = refusals
        self.code = None
        self.filename = "entry.py"
        self.strategy = None
        self.key = 0  # the seed of the entry's own random numbers in this run (not the run's)
        self.pending: list[str] = []  # refusals the file caught while loading, not yet reported
        self.load_error = {"ok": False, "kind": "load", "detail": "the file was not loaded"}

    def _refused(self, before: int, *, all_of_them: bool = False) -> list[str]:
        """Refusals since ``before``: those the entry's own code asked for, or all."""
        return [what for what, by_entry in self.refusals[before:] if by_entry or all_of_them]

    def _failure(self, exc: BaseException | None, before: int, phase: str) -> dict:
        from .guard import Forbidden

        chain = list(_chain(exc)) if exc is not None else []
        detail = _describe(exc, self.filename) if exc is not None else ""
        blocked = any(isinstance(e, Forbidden) for e in chain)
        refused = self._refused(before, all_of_them=blocked)
        if blocked or refused:
            kind = "forbidden"
            shown = "; ".join(refused[:3]) or detail
            detail = f"refused {shown}" if exc is None or isinstance(exc, Forbidden) else (
                f"refused {shown}; then {detail}")
        elif any(isinstance(e, MemoryError) for e in chain):
            kind = "memory"
            detail = f"over the memory limit: {detail}"
        elif isinstance(exc, SystemExit):
            kind = "load" if phase == "load" else "error"
            detail = f"called sys.exit({exc.code!r})"
        else:
            kind = "load" if phase == "load" else "error"
        if phase == "load":
            detail = f"while loading the file: {detail}"
        return {"ok": False, "kind": kind, "detail": detail[:DETAIL_CHARS]}

    def load(self, message: dict) -> dict:
        self.filename = str(message["filename"])
        source = str(message["source"])
        # Tracebacks quote the entry's lines from this cache (reading the file is refused).
        linecache.cache[self.filename] = (len(source), None, source.splitlines(True),
                                          self.filename)
        before = len(self.refusals)
        try:
            self.code = compile(source, self.filename, "exec", dont_inherit=True)
        except BaseException as exc:  # SyntaxError, or a parser out of memory or depth
            # Compiling runs none of the entry's code: a refusal meanwhile was the parser
            # looking for the file to quote the faulty line (linecache has it).
            del self.refusals[before:]
            kind = "memory" if isinstance(exc, MemoryError) else "load"
            self.code = None
            self.load_error = {"ok": False, "kind": kind, "detail": (
                f"while loading the file: {_describe(exc, self.filename)}")[:DETAIL_CHARS]}
            return self.load_error
        return {"ok": True}

    def run(self, message: dict) -> dict:
        self.key = int(message["key"])
        self.strategy = None
        if self.code is None:
            return self.load_error
        _seed_globals(self.key, -1)
        module = types.ModuleType("entry")
        module.__file__ = self.filename
        sys.modules["entry"] = module
        before = len(self.refusals)
        try:
            exec(self.code, module.__dict__)
            strategy = module.__dict__.get("strategy")
            if not callable(strategy):
                what = "no strategy" if strategy is None else (
                    f"strategy = {type(strategy).__name__}, not a function")
                return {"ok": False, "kind": "load",
                        "detail": f"the file defines {what}: it must define "
                                  "def strategy(view): ... returning sim.Actions"}
            start = getattr(strategy, "for_run", None)
            if callable(start):
                strategy = start()
            reads = bool(getattr(strategy, "reads_customers", True))
        except BaseException as exc:
            return self._failure(exc, before, "load")
        self.pending = [f"{what} (while loading the file)" for what in self._refused(before)]
        self.strategy = strategy
        return {"ok": True, "reads_customers": reads}

    def decide(self, message: dict) -> dict:
        from .wire import InvalidReturn, actions_to_plain, view_from_payload

        if self.strategy is None:
            return {"ok": False, "kind": "load", "detail": "no run was started"}
        view = view_from_payload(message["view"])
        _seed_globals(self.key, view.cycle)
        before = len(self.refusals)
        try:
            actions = actions_to_plain(self.strategy(view))
        except InvalidReturn as exc:
            if self._refused(before):
                return self._failure(exc, before, "decide")
            return {"ok": False, "kind": "invalid", "detail": str(exc)[:DETAIL_CHARS]}
        except BaseException as exc:
            return self._failure(exc, before, "decide")
        # Refusals the entry caught: its decision stands, and the attempts are reported.
        refused, self.pending = self.pending + self._refused(before), []
        return {"ok": True, "actions": actions, "refused": refused[:3]}


def _serve(rx: int, tx: int, entry: _Entry) -> None:
    from .pipe import PipeError, read_frame, write_frame

    handlers = {"load": entry.load, "run": entry.run, "decide": entry.decide}
    while True:
        try:
            message = pickle.loads(read_frame(rx))  # from the tournament, which is trusted
        except PipeError:
            return  # the tournament has gone
        if message.get("op") == "exit":
            return
        try:
            reply = handlers[message["op"]](message)
            payload = json.dumps(reply).encode()
        except MemoryError:
            payload = json.dumps({"ok": False, "kind": "memory",
                                  "detail": "MemoryError: over the memory limit"}).encode()
        except BaseException as exc:  # the reply itself failed (a value json cannot hold)
            payload = json.dumps({"ok": False, "kind": "invalid",
                                  "detail": f"the reply could not be sent: {exc!r}"[:500]}
                                 ).encode()
        write_frame(tx, payload)


def main(argv: list[str] | None = None) -> int:
    """Run the worker (see the module docstring); returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m sim.tournament.worker")
    parser.add_argument("--memory-mb", type=float, required=True)
    parser.add_argument("--cpu-seconds", type=float, required=True)
    args = parser.parse_args(argv)
    rx, tx = _take_pipes()
    from .pipe import read_frame, write_frame

    setup = pickle.loads(read_frame(rx))  # from the tournament: which folders to hide

    # Everything a strategy commonly uses is imported before the limits and the hook.
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    import sim
    import sim.engine.market  # (FirmView.customers reads its channel names)
    import sim.planning
    import sim.strategies

    from . import confine, guard, wire  # noqa: F401

    sim_dir = os.path.dirname(os.path.realpath(sim.__file__))
    _clean_sys_path(os.path.dirname(sim_dir))
    roots = guard.allowed_roots(sim_dir)
    layers = confine.confine(setup["hide"], roots, switched_on=setup["confine"])
    del setup
    refusals: list[tuple[str, bool]] = []
    limits = guard.limit_resources(
        memory_mb=args.memory_mb, cpu_seconds=args.cpu_seconds,
        processes=1 if "own_user" in layers["active"] else None)
    guard.install(roots, refusals)
    sys.stdout = sys.stderr = _Sink()
    write_frame(tx, json.dumps({"ok": True, "hello": os.getpid(), "limits": limits,
                                "confinement": layers}).encode())
    _serve(rx, tx, _Entry(refusals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
