"""A fresh Jupyter kernel, run one cell at a time under time limits and a cap on message size.

The grader must run code it does not trust and still finish: a cell may loop forever, ignore
an interrupt, kill Python or print gigabytes. :class:`_Kernel` starts the grader's own
interpreter as a kernel, in a throwaway working folder, and runs cells through nbclient. Each
cell has a time limit; a cell over it is interrupted, and a kernel that then does not answer a
trivial cell within a grace period is reported stuck rather than waited for.

Output is bounded at the transport: the client's ZeroMQ sockets refuse any message larger than
:data:`_MAX_MESSAGE` bytes (``zmq.MAXMSGSIZE``), so a cell that prints a gigabyte in one go
costs the grader no memory: ZeroMQ drops the message before reading it, and with it that
kernel's output channel, for good (its later output is lost; its replies still come, on
another channel). Smaller messages are read and, unless the kernel is told to keep them (the
grader's judge, whose output is its verdicts), dropped at once; what is kept is capped too.
The kernel is a process of its own, and what it allocates is not counted here: this module
sets no limit on a kernel's own memory.

This module knows nothing of exercises or grades: what the grader runs in the kernels and how
it reads the answers back is :mod:`.verdicts`; points and the gradebook are :mod:`.grading`.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import subprocess
import tempfile

from ..errors import CRMLabError

_CAPTURE = 1_000_000  # characters of a grader cell's stdout kept: the verdict is far smaller
#: Largest message (bytes, one ZeroMQ frame) the grader accepts from a kernel: a verdict is a
#: few hundred bytes; a student's output is dropped anyway.
_MAX_MESSAGE = 4_000_000
_GRACE = 10  # most seconds an interrupted kernel gets to answer before it is stopped
# Seconds to wait for a cell's last output after its reply: generous while output is kept (it
# is the judge's verdict), none when it is dropped anyway (a kernel whose output channel an
# oversized message closed would otherwise cost this wait on every cell).
_IOPUB_KEPT, _IOPUB_DROPPED = 10, 0


# Defined here, the lowest layer, because a kernel that cannot start is such an error;
# :mod:`.grading` re-exports it, its public home.
class GradingError(CRMLabError):
    """The grading itself cannot run (no submissions, no kernel), as opposed to a bad
    submission, which only earns zeros."""


class _Kernel:
    """A fresh kernel, run cell by cell (see the module docstring).

    Messages over :data:`_MAX_MESSAGE` bytes are refused by ZeroMQ before they are read; of the
    others, stdout is kept (capped at :data:`_CAPTURE` characters a cell) only while
    :attr:`keep_output` is set. A cell over its time limit is interrupted; a kernel that then
    does not answer a trivial cell within a grace period is declared stuck.

    Attributes
    ----------
    folder : str
        The kernel's working folder, removed by :meth:`stop`.
    keep_output : bool
        Keep the stdout of the cells run from now on (in :attr:`captured`).
    """

    def __init__(self, nonce: str):
        import nbformat
        import zmq
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager
        from nbclient import NotebookClient

        class ThisPython(KernelSpecManager):
            """The grader's own interpreter, whatever kernels are installed elsewhere."""

            def get_kernel_spec(self, kernel_name):
                import ipykernel.kernelspec as spec
                return self.kernel_spec_class(resource_dir=spec.RESOURCES,
                                              **spec.get_kernel_dict())

        class Manager(AsyncKernelManager):
            def client(self, **kwargs):
                client = super().client(**kwargs)
                # Default options of the client's own context apply to every socket it makes:
                # an oversized frame is refused by ZeroMQ's decoder, never read into memory.
                client.context.setsockopt(zmq.MAXMSGSIZE, _MAX_MESSAGE)
                return client

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

        self.keep_output = False
        self.captured: dict[int, list[str]] = {}
        self._replies: dict[int, dict] = {}
        self._new_cell = nbformat.v4.new_code_cell
        self._nb = nbformat.v4.new_notebook()
        self._km = Manager(kernel_name="crmlab-grader", kernel_spec_manager=ThisPython())
        # On time out nbclient interrupts the kernel and reports this error, named with the
        # nonce so that no exception a notebook raises can pass for it. (Letting nbclient
        # raise CellTimeoutError instead leaves that cell's output reader running, and it then
        # swallows the output of later cells.)
        self._overtime = f"GraderTimeout{nonce}"
        self._client = Client(self._nb, km=self._km, allow_errors=True,
                              on_cell_executed=self._record, interrupt_on_timeout=True,
                              error_on_timeout={"ename": self._overtime, "evalue": "",
                                                "traceback": []})
        self.folder = tempfile.mkdtemp(prefix="crmlab-grade-")
        self._stopped = False

    def _record(self, cell, cell_index, execute_reply):
        self._replies[cell_index] = (execute_reply or {}).get("content", {})

    async def start(self) -> None:
        try:  # in a folder of its own: files the notebook writes go nowhere that matters
            # PYTHONSAFEPATH: the working folder is not put on sys.path, so a module file
            # dropped there cannot stand in for one the kernel imports.
            await self._km.start_kernel(cwd=self.folder, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL,
                                        env={**os.environ, "PYTHONSAFEPATH": "1"})
            await self._client.async_start_new_kernel_client()
        except Exception as err:
            raise GradingError(f"could not start a Python kernel to grade in: {err}") from err

    async def stop(self) -> None:
        """Stop the kernel and remove its folder (again: nothing happens)."""
        if self._stopped:
            return
        self._stopped = True
        if self._client.kc is not None:
            self._client.kc.stop_channels()
        with contextlib.suppress(Exception):  # already dead or never started
            await self._km.shutdown_kernel(now=True)
        shutil.rmtree(self.folder, ignore_errors=True)

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
        the interrupt) or ``"dead"``; stdout only while :attr:`keep_output` is set.
        """
        iopub = _IOPUB_KEPT if self.keep_output else _IOPUB_DROPPED
        index, outcome = await self._run(source, seconds, iopub)
        if outcome == "timeout":
            grace = min(_GRACE, max(seconds, 5))  # a cell cut short still gets 5 s
            _, probe = await self._run("None", grace, _IOPUB_DROPPED)
            outcome = {"ok": "timeout", "timeout": "stuck"}.get(probe, probe)
        return (outcome, self._replies.get(index, {}) if outcome == "ok" else {},
                "".join(self.captured.get(index, ())))
