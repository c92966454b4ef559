"""The tournament's side of one entry's worker process: start it, ask it, kill it.

A :class:`Sandbox` owns one worker (:mod:`.worker`) for one team, reused across cycles and
runs, and restarted after it was killed. It starts the worker with ``subprocess.Popen`` in an
empty private folder, with a scrubbed environment (no variables of the tournament's shell; one
thread per numerical library; a fixed hash seed, so set iteration in an entry is reproducible),
in a session of its own (so killing it kills anything it started), and its stderr in a log file
whose tail explains a crash.

The worker's first frame lists the folders it must hide (:func:`.confine.private_folders`);
its first answer reports the resource limits and confinement layers in force
(:attr:`Sandbox.limits`, :attr:`Sandbox.confinement`). A run is named to the worker by a key
for the entry's own random numbers (:func:`entry_key`), never by the run's seed.

Each request has a deadline: the decision time limit for loading the file, starting a run and
deciding a cycle (sending the view and receiving the answer included), a longer one for the
worker's own start (importing numpy and pandas). A worker that misses a deadline, dies, breaks
the framing or answers with something that is not the expected JSON is killed, and the failure
is returned as ``(kind, detail)`` for the tournament to record. Nothing a worker sends is
unpickled or executed here: replies are parsed as JSON of bounded size.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .pipe import PipeClosed, PipeError, read_frame, write_frame

__all__ = ["KINDS", "Answer", "Failure", "Sandbox", "SandboxError", "entry_key"]

#: Failure kinds, as recorded in ``TournamentResult.incidents``.
KINDS = ("error", "timeout", "memory", "invalid", "crash", "forbidden", "load")
#: Kinds the worker may report about itself (the others are seen from outside).
_REPORTED = frozenset({"error", "memory", "invalid", "forbidden", "load"})
#: Seconds a worker may take to start (import numpy, pandas and sim) before it is given up.
START_SECONDS = 60.0
#: Largest reply accepted from a worker, bytes (the actions of a cycle are far smaller).
REPLY_LIMIT = 32 * 2**20
#: Characters of the worker's stderr kept in a crash's detail.
_LOG_TAIL = 600
#: PBKDF2 rounds of :func:`entry_key`: about as long as creating a market, so trying seeds
#: through the key is no quicker than replaying markets.
_KEY_ROUNDS = 100_000


def entry_key(seed: int) -> int:
    """The seed of an entry's own random numbers (``random``, ``numpy.random``) in the run of
    ``seed``: the only thing about the run a worker is told.

    The run's seed itself must stay in the tournament: with it an entry could replay its market
    with ``sim.run`` and read the latent truth. The key is a one-way function of the seed
    (PBKDF2-HMAC-SHA256), so the entry's draws replay with the run (the same tournament seed
    gives the same draws) while the seed cannot be computed back from them; and as slow to
    compute as a market is to create, so trying candidate seeds through it is no shortcut.
    The same for every team: they face the same market and the same luck.

    Parameters
    ----------
    seed : int
        The run's seed.

    Returns
    -------
    int
        A 128-bit key.
    """
    digest = hashlib.pbkdf2_hmac("sha256", str(int(seed)).encode(),
                                 b"crmlab tournament: an entry's own random numbers",
                                 _KEY_ROUNDS, dklen=16)
    return int.from_bytes(digest, "big")


class SandboxError(RuntimeError):
    """The worker could not be started at all (the machine's fault, not the entry's)."""


@dataclass(frozen=True)
class Answer:
    """What came of asking an entry for one cycle's actions.

    Attributes
    ----------
    actions : object
        The plain actions the worker sent (parsed JSON, for the caller to check), or None.
    failure : Failure or None
        Why there are none.
    loading : bool
        The failure came while (re)loading the entry's file, not while it decided.
    refused : tuple of str
        Operations refused while the entry decided, which it caught (its decision stands).
    """

    actions: object = None
    failure: Failure | None = None
    loading: bool = False
    refused: tuple[str, ...] = ()


@dataclass(frozen=True)
class Failure:
    """Why an entry did not decide: ``kind`` (one of :data:`KINDS`) and ``detail``."""

    kind: str
    detail: str
    #: The worker was killed (timeout, memory, crash): the entry's memory of the run is lost.
    restarted: bool = False


def _environment(home: str) -> dict[str, str]:
    import sim

    package_parent = str(Path(sim.__file__).resolve().parent.parent)
    env = {
        "PATH": os.defpath, "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8",
        "PYTHONPATH": package_parent, "PYTHONHASHSEED": "0", "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8", "MPLBACKEND": "Agg",
        "TQDM_DISABLE": "1",
    }
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                 "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
        env[name] = "1"
    return env


class Sandbox:
    """One team's worker process, as seen from the tournament.

    Parameters
    ----------
    team : str
        The team's name (its file's stem), used as the file name inside the worker.
    source : str
        The entry's source text; the worker never learns where the file is.
    decision_timeout : float
        Seconds allowed for each request: loading, starting a run, deciding a cycle.
    memory_mb : float
        Memory the entry may use on top of the worker's baseline, MB.
    cpu_seconds : float
        CPU time the worker may use in its whole life, s (a backstop: see :mod:`.guard`).
    private : sequence of str, optional
        Folders the worker must not see (:func:`.confine.private_folders`; by default its
        folders that every tournament hides: homes, temporary folders, the working folder).
    confine : bool
        Confine the worker with the operating system (:mod:`.confine`) where it can; False
        leaves the in-process layers only (tests of the audit hook alone).
    """

    def __init__(self, team: str, source: str, *, decision_timeout: float, memory_mb: float,
                 cpu_seconds: float, private: Sequence[str] | None = None,
                 confine: bool = True):
        self.team = team
        self.source = source
        self.decision_timeout = float(decision_timeout)
        self.memory_mb = float(memory_mb)
        self.cpu_seconds = float(cpu_seconds)
        if private is None:
            from .confine import private_folders

            private = private_folders()
        self.private = tuple(str(p) for p in private)
        self.confine = bool(confine)
        self.reads_customers = True
        self.limits: dict | None = None  # the resource limits the worker reported
        self.confinement: dict | None = None  # the confinement layers it reported
        self.starts = 0  # worker processes started so far
        self._proc: subprocess.Popen | None = None
        self._home: str | None = None
        self._log = None
        self._rx = self._tx = -1
        self._run_key: int | None = None  # the run the live worker has started

    # -- process ---------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        """Whether a worker process is running."""
        return self._proc is not None and self._proc.poll() is None

    def _spawn(self) -> Failure | None:
        self._home = tempfile.mkdtemp(prefix="crmlab-entry-")
        self._log = open(Path(self._home) / "stderr.log", "w+b")  # noqa: SIM115 (kept open)
        # Pipes made here, not by Popen, so both ends can be set non-blocking and closed.
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        command = [sys.executable, "-s", "-m", "sim.tournament.worker",
                   "--memory-mb", repr(self.memory_mb), "--cpu-seconds", repr(self.cpu_seconds)]
        try:
            proc = subprocess.Popen(
                command, stdin=to_worker_r, stdout=from_worker_w, stderr=self._log,
                cwd=self._home, env=_environment(self._home), start_new_session=True,
                close_fds=True)
        except OSError as err:
            for fd in (to_worker_r, to_worker_w, from_worker_r, from_worker_w):
                os.close(fd)
            self.kill()
            raise SandboxError(f"could not start a worker for {self.team!r}: {err}") from None
        os.close(to_worker_r)
        os.close(from_worker_w)
        self._proc = proc
        self._tx, self._rx = to_worker_w, from_worker_r
        os.set_blocking(self._tx, False)
        os.set_blocking(self._rx, False)
        self.starts += 1
        self._run_key = None
        deadline = time.monotonic() + START_SECONDS
        try:
            write_frame(self._tx, _pickle({"hide": list(self.private), "confine": self.confine}),
                        deadline)
            hello = self._receive(deadline)
        except (TimeoutError, PipeError, ValueError) as err:
            tail = self._log_tail()
            self.kill()
            why = str(err) or f"no answer within {START_SECONDS:.0f} s"
            raise SandboxError(f"the worker for {self.team!r} did not start ({why}){tail}"
                               ) from None
        if not hello.get("ok"):
            self.kill()
            raise SandboxError(f"the worker for {self.team!r} did not start: {hello!r}")
        limits, layers = hello.get("limits"), hello.get("confinement")
        self.limits = limits if isinstance(limits, dict) else None
        self.confinement = layers if isinstance(layers, dict) else None
        return self._request({"op": "load", "source": self.source,
                              "filename": f"{self.team}.py"}, phase="load")

    def kill(self) -> None:
        """Kill the worker (and anything it started) and remove its folder."""
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):  # SIGKILL cannot be ignored
                proc.wait(timeout=10)
        for fd in (self._rx, self._tx):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._rx = self._tx = -1
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None
        self._run_key = None

    def close(self) -> None:
        """Ask the worker to stop, then make sure it has."""
        if self.alive:
            try:
                write_frame(self._tx, _pickle({"op": "exit"}), time.monotonic() + 1.0)
                self._proc.wait(timeout=2.0)
            except (TimeoutError, PipeError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        try:
            self._log.flush()
            self._log.seek(0, os.SEEK_END)
            size = self._log.tell()
            self._log.seek(max(0, size - _LOG_TAIL))
            text = self._log.read().decode("utf-8", "replace").strip()
        except OSError:
            return ""
        return f"; its last words: {text[-_LOG_TAIL:]!r}" if text else ""

    # -- requests ----------------------------------------------------------------------------
    def _receive(self, deadline: float) -> dict:
        reply = json.loads(read_frame(self._rx, deadline, REPLY_LIMIT))
        if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
            raise ValueError("the worker's reply is not an answer")
        return reply

    def _death(self) -> Failure:
        """Why the worker is gone (it has exited or closed its pipe)."""
        proc = self._proc
        code = None
        if proc is not None:
            try:
                code = proc.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                code = None
        tail = self._log_tail()
        self.kill()
        if code is not None and code < 0:
            number = -code
            name = signal.Signals(number).name if number in signal.valid_signals() else number
            if number == getattr(signal, "SIGXCPU", -1):
                return Failure("timeout", f"the worker used up its CPU time (killed by {name})"
                               f"{tail}", True)
            if number == signal.SIGKILL:  # not by the tournament, which has let go of it
                return Failure("memory", f"the worker was killed by {name} from outside (the "
                               f"system's out-of-memory killer, as a rule){tail}", True)
            return Failure("crash", f"the worker died of signal {name}{tail}", True)
        status = "closed its pipe" if code is None else f"exited with status {code}"
        return Failure("crash", f"the worker {status}{tail}", True)

    def _request(self, message: dict, *, phase: str) -> Failure | dict:
        """Send ``message`` and wait for the answer within the decision time limit."""
        deadline = time.monotonic() + self.decision_timeout
        try:
            write_frame(self._tx, _pickle(message), deadline)
            reply = self._receive(deadline)
        except TimeoutError:
            self.kill()
            what = "loading the file" if phase == "load" else "deciding"
            return Failure("timeout", f"{what} took longer than the {self.decision_timeout:g} s "
                                      "limit; the worker was killed", True)
        except PipeClosed:
            return self._death()
        except PipeError as err:
            self.kill()
            return Failure("crash", f"{err}; the worker was killed", True)
        except (ValueError, RecursionError) as err:  # not JSON, or not a reply
            self.kill()
            return Failure("crash", f"the worker sent a malformed reply ({err}); it was killed",
                           True)
        if reply["ok"]:
            return reply
        kind = reply.get("kind")
        detail = str(reply.get("detail", ""))[:2000]
        if kind not in _REPORTED:
            self.kill()
            return Failure("crash", f"the worker sent an unknown failure {str(kind)[:40]!r}", True)
        if kind == "memory":
            self.kill()  # a fresh worker: the failed allocation may have left it fragmented
            return Failure(kind, detail + "; the worker was restarted", True)
        return Failure(kind, detail)

    def begin(self, key: int) -> Failure | None:
        """Make sure a worker runs the entry freshly executed for the run of ``key``
        (:func:`entry_key`). Refusals the file caught while loading are reported with its
        first decision."""
        if self.alive and self._run_key == key:
            return None
        if not self.alive:
            self.kill()
            failure = self._spawn()
            if isinstance(failure, Failure):
                return failure
        reply = self._request({"op": "run", "key": int(key)}, phase="load")
        if isinstance(reply, Failure):
            return reply
        self.reads_customers = bool(reply.get("reads_customers", True))
        self._run_key = key
        return None

    def decide(self, key: int, payload: Callable[[bool], dict]) -> Answer:
        """Ask the entry for the actions of one cycle of the run of ``key``.

        Parameters
        ----------
        key : int
            The run's key (:func:`entry_key` of its seed; a new one starts a fresh run of the
            entry's file).
        payload : callable
            ``payload(customers) -> dict``: the cycle's view as plain data, with the customer
            columns if ``customers`` (the entry reads them) (:func:`.wire.view_payload`).

        Returns
        -------
        Answer
        """
        if self._proc is not None and not self.alive:
            # The worker died since its last answer (a thread of the entry's used up the CPU
            # backstop, say): this cycle is lost, the next one restarts it.
            return Answer(failure=self._death())
        failure = self.begin(key)
        if failure is not None:
            return Answer(failure=failure, loading=True)
        reply = self._request({"op": "decide", "view": payload(self.reads_customers)},
                              phase="decide")
        if isinstance(reply, Failure):
            return Answer(failure=reply)
        refused = reply.get("refused") or []
        refused = [str(r)[:300] for r in refused[:3]] if isinstance(refused, list) else []
        return Answer(actions=reply.get("actions"), refused=tuple(refused))


def _pickle(message: dict) -> bytes:
    import pickle

    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
