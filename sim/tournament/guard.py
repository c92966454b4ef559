"""What an entry may not do inside its worker: resource limits and an audit hook.

A tournament runs each team's file in a worker process of its own (:mod:`.worker`). Before the
worker runs a line of the entry it calls :func:`limit_resources` and :func:`install`:

* **resource limits** (``resource.setrlimit``): address space (the worker's baseline plus the
  tournament's memory limit), CPU seconds over the worker's life (a backstop behind the
  per-decision time limit the tournament enforces from outside), file size (nothing can be
  written to a file), open files, processes, no core dumps;
* **an audit hook** (:pep:`578`, ``sys.addaudithook``) that refuses, with :class:`Forbidden`:
  reading files outside the Python installation, its site-packages and the ``sim`` package
  (so another team's file, ``/etc/passwd`` or the entries folder are out of reach), writing,
  renaming or deleting any file, listing folders outside those places, starting processes
  (``subprocess``, ``os.system``, the ``exec`` and ``spawn`` families, ``fork``), signalling
  processes (``os.kill``: the tournament itself), sockets and every network client, ``ctypes``
  (raw memory and C calls), walking the garbage collector's objects, raising resource limits
  and adding audit hooks.

Every refusal is logged (the worker reports it to the tournament, which records a
``"forbidden"`` incident) and raised inside the entry's code as :class:`Forbidden`, a
``PermissionError``, so libraries that probe the file system (and handle a refusal) go on
working.

What this is not: :pep:`578` says plainly that audit hooks are not a sandbox against a
determined attacker who knows CPython's internals, and resource limits do not confine a process
run by root. The guarantees that hold whatever an entry does come from the design: the worker
holds nothing but the entry's own source and the observable data of its own runs (the truth
and the engine stay in the tournament process, which never unpickles anything a worker sends),
and the tournament kills a worker that overruns its time or memory. Run tournaments of entries
from strangers in a container or as an unprivileged user.
"""

from __future__ import annotations

import os
import signal
import sys
import sysconfig
import types

__all__ = ["Forbidden", "allowed_roots", "install", "limit_resources", "refusals_by_entry"]


class Forbidden(PermissionError, RuntimeError):
    """An operation the tournament's sandbox refuses (a ``PermissionError``; also a
    ``RuntimeError`` so that ``sys.addaudithook`` refuses a new hook silently, as :pep:`578`
    specifies)."""


#: Writing, renaming or deleting in the file system.
_WRITES = frozenset({
    "os.chflags", "os.chmod", "os.chown", "os.link", "os.lchflags", "os.lchmod", "os.lchown",
    "os.mkdir", "os.mkfifo", "os.mknod", "os.remove", "os.removexattr", "os.rename",
    "os.rmdir", "os.setxattr", "os.symlink", "os.truncate", "os.utime", "shutil.chown",
    "shutil.copyfile", "shutil.copymode", "shutil.copystat", "shutil.copytree", "shutil.move",
    "shutil.rmtree", "shutil.make_archive", "shutil.unpack_archive", "tempfile.mkdtemp",
    "tempfile.mkstemp", "sqlite3.connect", "dbm.open",
})
#: Starting or signalling processes, changing limits and audit hooks.
_PROCESSES = frozenset({
    "os.exec", "os.fork", "os.forkpty", "os.kill", "os.killpg", "os.posix_spawn", "os.spawn",
    "os.startfile", "os.system", "pty.spawn", "subprocess.Popen",
    "signal.pthread_kill", "resource.setrlimit", "resource.prlimit", "sys.addaudithook",
    "sys.remote_exec",
})
#: Reaching objects the entry was not given: every live object, or who refers to what.
_INTROSPECTION = frozenset({"gc.get_objects", "gc.get_referrers", "gc.get_referents"})
#: Event prefixes refused whole: the network and C-level access.
_PREFIXES = ("socket.", "ctypes.", "ftplib.", "http.client.", "imaplib.", "nntplib.",
             "poplib.", "smtplib.", "telnetlib.", "urllib.", "webbrowser.", "syslog.",
             "_winapi.", "winreg.", "msvcrt.")
#: Modules whose import is refused (see ``fork_exec`` in :func:`install`).
_MODULES = frozenset({"_posixsubprocess", "_ctypes", "_xxsubinterpreters", "_xxinterpchannels"})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
#: Harmless facts about the machine that numerical libraries read (CPU count, cgroup quota,
#: time zone): readable although outside the Python installation.
_SYSTEM_INFO = ("/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/loadavg",
                "/sys/fs/cgroup/", "/sys/devices/system/cpu/", "/sys/devices/system/node/",
                "/etc/localtime", "/usr/share/zoneinfo/", "/dev/null")


def allowed_roots(*extra: str) -> tuple[str, ...]:
    """Folders an entry may read below: the standard library, site-packages, the other
    folders on ``sys.path`` at this moment, and ``extra`` (the ``sim`` package's folder).

    Call it after ``sys.path`` has been cleaned of the working directory and of the folder
    the ``sim`` package was imported from (which may hold the entries).
    """
    paths = sysconfig.get_paths()
    found = [paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths]
    found += [p for p in sys.path if p and os.path.isabs(p)]  # a zip file that may not exist
    found += list(extra)
    roots = []
    for path in found:
        real = os.path.join(os.path.realpath(path), "")
        if real not in roots:
            roots.append(real)
    return tuple(roots)


def install(roots: tuple[str, ...], log: list) -> None:
    """Install the audit hook and replace ``_posixsubprocess``: refuse what the module
    docstring lists, and log every refusal.

    Parameters
    ----------
    roots : tuple of str
        Folders (absolute, real paths ending in a separator) below which reading is allowed
        (:func:`allowed_roots`).
    log : list
        Appended to on every refusal: ``(what, by_entry)``, a short description
        (``"reading '/etc/passwd'"``) and whether the entry's own code asked for it (directly
        or through the standard library) rather than a library probing its surroundings (a
        numerical library looking for its shared objects, say), which
        :func:`refusals_by_entry` tells apart.
    """
    roots = tuple(roots)
    realpath, fsdecode, isabs = os.path.realpath, os.fsdecode, os.path.isabs
    # This process's own /proc entries (/proc/self is a link to them): status, limits, cgroup.
    system = (*_SYSTEM_INFO, f"/proc/{os.getpid()}/")
    # Entries of sys.path that are no folder (an editable install's path hook): the import
    # system lists them, and finds nothing.
    listable = frozenset(p for p in sys.path if isinstance(p, str))
    stdlib = sysconfig.get_paths()["stdlib"]
    passing = (*{os.path.join(p, "") for p in (stdlib, realpath(stdlib),
                                               os.path.dirname(__file__))}, "<frozen ")
    getframe = sys._getframe

    def by_entry() -> bool:
        """Whether the nearest caller outside the standard library (and this package) is
        the entry rather than an installed library; False when there is none (the worker's
        own code, the interpreter)."""
        frame = getframe(2)
        while frame is not None:
            name = frame.f_code.co_filename
            if not name.startswith(passing):
                return not (isabs(name) and any(name.startswith(r) or realpath(name)
                                                .startswith(r) for r in roots))
            frame = frame.f_back
        return False

    def readable(path) -> bool:
        if isinstance(path, int) or path is None:
            return False
        try:
            text = fsdecode(path)
        except (TypeError, ValueError):
            return False
        if text in listable:
            return True
        real = realpath(text)
        if not isabs(text) and not isabs(real):
            return False
        if real.startswith(system) or real in system:
            return True
        inside = real + os.sep
        return any(inside.startswith(root) for root in roots)

    def refuse(what: str):
        log.append((what, by_entry()))
        raise Forbidden(f"the tournament sandbox refused {what}")

    def fork_exec(*args, **kwargs):
        refuse("_posixsubprocess.fork_exec (starting a process)")

    # ``_posixsubprocess.fork_exec`` starts processes without an audit event (CPython 3.11):
    # the loaded module is replaced, and importing it again is refused below.
    stub = types.ModuleType("_posixsubprocess")
    stub.fork_exec = fork_exec
    sys.modules["_posixsubprocess"] = stub
    if "subprocess" in sys.modules:
        sys.modules["subprocess"]._posixsubprocess = stub

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = (*args, None, None, None)[:3]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS)
            if isinstance(path, int):
                refuse(f"open(file descriptor {path})")
            if writing:
                refuse(f"writing the file {path!r}")
            if not readable(path):
                refuse(f"reading {path!r} (outside the Python installation)")
        elif event in ("os.listdir", "os.scandir", "glob.glob", "glob.glob/2"):
            path = args[0] if args and args[0] is not None else "."
            if not readable(path):
                refuse(f"listing the folder {path!r}")
        elif event in _WRITES:
            refuse(f"{event}{_shown(args)} (writing to the file system)")
        elif event in _PROCESSES:
            refuse(f"{event}{_shown(args)} (processes, signals and limits are off limits)")
        elif event in _INTROSPECTION:
            refuse(f"{event}() (walking the interpreter's objects)")
        elif event.startswith(_PREFIXES):
            refuse(f"{event}{_shown(args)} (network and C-level access are off limits)")
        elif event == "import" and args and args[0] in _MODULES:
            refuse(f"import {args[0]}")
        elif event == "mmap.__new__" and args and args[0] != -1:
            refuse("mapping a file into memory")

    sys.addaudithook(hook)


def refusals_by_entry(log: list) -> list[str]:
    """The descriptions of the refusals in ``log`` (from :func:`install`) that the entry's own
    code asked for."""
    return [what for what, by_entry in log if by_entry]


def _shown(args: tuple, width: int = 80) -> str:
    """The arguments of an event, short enough for a log line."""
    try:
        text = repr(tuple(args))
    except Exception:  # an object whose repr fails tells nothing anyway
        text = "(...)"
    return text if len(text) <= width else text[: width - 4] + "...)"


def _address_space() -> int:
    """This process's virtual memory now, bytes (Linux: /proc; elsewhere 0)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def limit_resources(*, memory_mb: float, cpu_seconds: float, max_files: int = 64) -> dict:
    """Set this process's resource limits (the hard limits too, so they cannot be raised).

    Parameters
    ----------
    memory_mb : float
        Address space the entry may add to the worker's present size, MB (RLIMIT_AS; the
        baseline of Python, numpy and pandas is several hundred MB of address space, most of it
        never touched, so the limit is counted on top of it).
    cpu_seconds : float
        CPU time for the rest of the worker's life, s (RLIMIT_CPU: the worker is killed by
        SIGXCPU past it).
    max_files : int
        Open file descriptors (RLIMIT_NOFILE).

    Returns
    -------
    dict
        Limit name -> value set, and the names the platform refused (``"skipped"``).
    """
    import resource

    done, skipped = {}, []
    usage = resource.getrusage(resource.RUSAGE_SELF)
    wanted = {
        "RLIMIT_CPU": int(usage.ru_utime + usage.ru_stime + max(1.0, cpu_seconds)) + 1,
        "RLIMIT_FSIZE": 1 << 20,  # stderr (a log file) only; the hook refuses opening files
        "RLIMIT_NOFILE": max_files,
        "RLIMIT_CORE": 0,
    }
    current = _address_space()
    if current:  # elsewhere the baseline is unknown, and macOS does not enforce the limit
        wanted["RLIMIT_AS"] = current + int(memory_mb * 2**20)
    if os.geteuid() != 0:  # counts the user's processes and threads; root is exempt
        wanted["RLIMIT_NPROC"] = _processes_of_user()
    for name, value in wanted.items():
        which = getattr(resource, name, None)
        if which is None:
            skipped.append(name)
            continue
        try:
            _, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            # CPU: SIGXCPU at the soft limit says why the worker died; SIGKILL follows at the
            # hard one if the entry ignores it.
            top = value + 5 if name == "RLIMIT_CPU" else value
            if hard != resource.RLIM_INFINITY:
                top = min(top, hard)
            resource.setrlimit(which, (value, top))
            done[name] = value
        except (ValueError, OSError):
            skipped.append(name)
    for name in ("RLIMIT_AS", "RLIMIT_NPROC"):
        if name not in wanted:
            skipped.append(name)
    if hasattr(signal, "SIGXFSZ"):
        # Past RLIMIT_FSIZE a write fails with EFBIG instead of killing the worker.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    done["skipped"] = skipped
    return done


def _processes_of_user() -> int:
    """Processes and threads of this user now (Linux), so RLIMIT_NPROC at this value allows
    no new one; 1 where it cannot be counted."""
    uid = os.getuid()
    count = 0
    try:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                if os.stat(f"/proc/{pid}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                continue
    except OSError:
        return 1
    return max(count, 1)
