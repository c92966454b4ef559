"""Messages between the tournament and a worker: length-prefixed frames on a pipe, with deadlines.

A frame is a 4-byte tag, an 8-byte big-endian length and the payload. The tournament side reads
and writes with a deadline (``select`` on non-blocking pipes), so a worker that stops reading,
writes half a frame or floods the pipe costs at most the decision time limit; a frame longer
than the reader's limit is refused before it is read. What goes in a payload is the caller's
business: the tournament sends pickles to its workers, and reads only JSON back (it never
unpickles what an entry's process wrote).
"""

from __future__ import annotations

import os
import select
import struct
import time

__all__ = ["PipeClosed", "PipeError", "read_frame", "write_frame"]

_TAG = b"CRM1"
_HEADER = struct.Struct(">4sQ")
_CHUNK = 1 << 16


class PipeError(Exception):
    """The other end broke the framing or sent more than allowed."""


class PipeClosed(PipeError):
    """The other end has closed the pipe (it has exited, as a rule)."""


def _wait(fd: int, deadline: float | None, *, write: bool) -> None:
    """Block until ``fd`` is ready, or raise ``TimeoutError`` at ``deadline`` (monotonic s)."""
    if deadline is None:
        return
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    ready = select.select([], [fd], [], remaining) if write else select.select([fd], [], [],
                                                                                remaining)
    if not any(ready):
        raise TimeoutError


def write_frame(fd: int, payload: bytes, deadline: float | None = None) -> None:
    """Write one frame; ``deadline`` (``time.monotonic()`` seconds) needs a non-blocking fd.

    Raises
    ------
    TimeoutError
        At the deadline.
    PipeClosed
        If the reader has gone.
    """
    data = memoryview(_HEADER.pack(_TAG, len(payload)) + payload)
    while data:
        _wait(fd, deadline, write=True)
        try:
            n = os.write(fd, data[:_CHUNK])
        except BlockingIOError:
            continue
        except (BrokenPipeError, OSError) as err:
            raise PipeClosed(f"the worker stopped reading ({err.strerror or err})") from None
        data = data[n:]


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    parts, got = [], 0
    while got < n:
        _wait(fd, deadline, write=False)
        try:
            chunk = os.read(fd, min(n - got, 1 << 20))
        except BlockingIOError:
            continue
        except OSError as err:
            raise PipeClosed(f"reading from the worker failed ({err.strerror or err})") from None
        if not chunk:
            raise PipeClosed("the worker closed its end of the pipe")
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def read_frame(fd: int, deadline: float | None = None, limit: int | None = None) -> bytes:
    """Read one frame's payload.

    Parameters
    ----------
    fd : int
        The pipe (non-blocking when a deadline is given).
    deadline : float, optional
        ``time.monotonic()`` instant to give up at.
    limit : int, optional
        Largest payload accepted, bytes.

    Raises
    ------
    TimeoutError
        At the deadline.
    PipeClosed
        On end of file.
    PipeError
        On a broken frame or a payload over ``limit``.
    """
    tag, size = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if tag != _TAG:
        raise PipeError(f"the worker broke the message framing (read {tag!r})")
    if limit is not None and size > limit:
        raise PipeError(f"the worker sent {size:,} bytes, more than the {limit:,} allowed")
    return _read_exact(fd, size, deadline)
