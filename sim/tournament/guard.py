"""What an entry may not do inside its worker, seen from inside: resource limits and an audit hook.

A tournament runs each team's file in a worker process of its own (:mod:`.worker`). Before the
worker runs a line of the entry it confines itself with the operating system where it can
(:mod:`.confine`: no network, private folders hidden, a user of its own, no privileges), then
calls :func:`limit_resources` and :func:`install` (this module):

* **resource limits** (``resource.setrlimit``, the kernel enforces them): address space (the
  worker's baseline plus the tournament's memory limit), CPU seconds over the worker's life (a
  backstop behind the per-decision time limit the tournament enforces from outside), file size,
  open files, no core dumps, and no new process or thread where the worker has a user of its own
  (or is not root);
* **an audit hook** (:pep:`578`, ``sys.addaudithook``) that refuses, with :class:`Forbidden`:
  reading files outside the Python installation, its site-packages and the ``sim`` package
  (so another team's file, ``/etc/passwd`` or the entries folder are out of reach), writing,
  renaming or deleting any file, listing folders outside those places, starting processes
  (``subprocess``, ``os.system``, the ``exec`` and ``spawn`` families, ``fork``; the loaded
  ``_posixsubprocess`` module, which starts processes without an audit event, is replaced by a
  stub and may not be imported again), signalling processes (``os.kill``: the tournament
  itself), sockets and every network client, C-level access (``ctypes``, ``cffi`` and CPython's
  ``_test*`` modules), building code objects from raw bytecode, walking the garbage collector's
  objects, raising resource limits and adding audit hooks.

Every refusal is logged (the worker reports it to the tournament, which records a
``"forbidden"`` incident) and raised inside the entry's code as :class:`Forbidden`, a
``PermissionError``, so libraries that probe the file system (and handle a refusal) go on
working.

**The hook cannot be switched off from Python.** An entry can reach more of the worker than
it is handed: frames (``sys._getframe``, an exception's ``__traceback__``, whose first frame is
the hook's own), module globals, function attributes. So the hook keeps no state an entry could
change: it is a single function with no closure cells and no global or builtin look-ups (every
name it uses is a keyword-only default, fixed when it is made), its state is frozensets, tuples
and strings, it calls only C functions captured when it was made (``os.lstat``,
``os.readlink``: its own ``realpath``, since ``os.path.realpath`` is Python an entry could
patch), it turns every argument it inspects into an exact ``str`` first (so no ``__eq__``,
``__hash__`` or ``__fspath__`` of the entry's runs while it decides), and the function object
itself is referenced only by the interpreter's list of hooks. Rebinding this module's globals,
overwriting closure cells or walking a refusal's traceback therefore changes nothing it decides
(``tests/test_tournament_sandbox.py`` tries each). The stub replacing
``_posixsubprocess.fork_exec`` holds no reference to the real one: it only raises an audit event
that the hook refuses.

What this is not: :pep:`578` says plainly that audit hooks are not a sandbox against a
determined attacker who knows CPython's internals. Code that corrupts the interpreter's memory
(crafted ``marshal`` data run as code, numpy arrays over raw addresses, an interpreter bug) is
beyond any in-process check. That is what the operating-system layer (:mod:`.confine`) is for,
and what the design guarantees whatever an entry does: the worker holds nothing but the entry's
own source and the observable data of its own runs (the truth, the engine and the runs' seeds
stay in the tournament process, which never unpickles anything a worker sends), and the
tournament kills a worker that overruns its time or memory.
"""

from __future__ import annotations

import os
import signal
import stat
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
#: The event the stub replacing ``_posixsubprocess.fork_exec`` raises.
_FORK_EXEC = "_posixsubprocess.fork_exec"
#: Reaching objects the entry was not given (every live object, or who refers to what), and
#: making code from raw bytecode (which can crash or subvert the interpreter).
_INTROSPECTION = frozenset({"gc.get_objects", "gc.get_referrers", "gc.get_referents",
                            "code.__new__"})
#: Event prefixes refused whole: the network and C-level access.
_PREFIXES = ("socket.", "ctypes.", "ftplib.", "http.client.", "imaplib.", "nntplib.",
             "poplib.", "smtplib.", "telnetlib.", "urllib.", "webbrowser.", "syslog.",
             "_winapi.", "winreg.", "msvcrt.")
#: Modules whose import is refused: processes without an audit event (``_posixsubprocess``),
#: C calls without one (``_ctypes``, ``_cffi_backend``), CPython's test modules (which poke at
#: raw memory) and subinterpreters (which start without this hook).
_MODULES = frozenset({
    "_posixsubprocess", "_ctypes", "_cffi_backend", "_xxsubinterpreters", "_xxinterpchannels",
    "_testcapi", "_testinternalcapi", "_testbuffer", "_testclinic", "_testmultiphase",
    "_testimportmultiple", "_testsinglephase", "_ctypes_test", "_xxtestfuzz",
})
_LISTING = frozenset({"os.listdir", "os.scandir", "glob.glob", "glob.glob/2"})
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
#: Harmless facts about the machine that numerical libraries read (CPU count, cgroup quota,
#: time zone): readable although outside the Python installation.
_SYSTEM_INFO = ("/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/loadavg",
                "/sys/fs/cgroup/", "/sys/devices/system/cpu/", "/sys/devices/system/node/",
                "/etc/localtime", "/usr/share/zoneinfo/", "/dev/null")
#: Symbolic links followed before giving up on a path (as the kernel's ELOOP).
_MAX_LINKS = 40


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


def _refused_fork_exec(*args, _audit=sys.audit, _event=_FORK_EXEC, **kwargs):
    """Stands in for ``_posixsubprocess.fork_exec``: raises the audit event the hook refuses.

    It holds no reference to the real function (nor to anything of the hook's), so an entry
    that rewrites it gains nothing: there is no process to start through it.
    """
    _audit(_event)
    raise PermissionError("starting a process is not allowed in the tournament sandbox")


def _replace_fork_exec() -> None:
    """Drop every reference to ``_posixsubprocess`` the loaded modules hold, for a stub."""
    stub = types.ModuleType("_posixsubprocess", "Refuses to start processes (tournament).")
    stub.fork_exec = _refused_fork_exec
    sys.modules["_posixsubprocess"] = stub
    for name in ("subprocess", "multiprocessing.util"):
        module = sys.modules.get(name)
        if module is None:
            continue
        if hasattr(module, "_posixsubprocess"):
            module._posixsubprocess = stub
        if hasattr(module, "_fork_exec"):  # Python 3.12: from _posixsubprocess import ...
            module._fork_exec = _refused_fork_exec


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
        :func:`refusals_by_entry` tells apart. The log is what the worker reports; the
        entry can reach it, but nothing in it changes what the hook decides.
    """
    _replace_fork_exec()
    sys.addaudithook(_make_hook(roots, log))


def _make_hook(roots: tuple[str, ...], log: list):
    """The audit hook of :func:`install` (a new function object, referenced by nothing else
    once installed)."""
    roots = tuple(str(r) for r in roots)
    # This process's own /proc entries (/proc/self is a link to them): status, limits, cgroup.
    system = (*_SYSTEM_INFO, f"/proc/{os.getpid()}/")
    # Entries of sys.path that are no folder (an editable install's path hook): the import
    # system lists them, and finds nothing.
    listable = frozenset(p for p in sys.path if type(p) is str)
    stdlib = sysconfig.get_paths()["stdlib"]
    # Frames in these files are skipped when telling who asked (the standard library, this
    # package, frozen importlib); frames in these others are an installed library's.
    passing = (*{os.path.join(p, "") for p in (stdlib, os.path.realpath(stdlib),
                                               os.path.dirname(__file__))}, "<frozen ")
    libraries = roots + tuple(os.path.join(p, "") for p in sys.path
                              if type(p) is str and os.path.isabs(p))
    encoding = sys.getfilesystemencoding()

    # Every name the hook uses is a keyword-only default: the hook has no closure and looks up
    # no global or builtin, so nothing an entry can rebind or overwrite changes its decisions
    # (tests/test_tournament_sandbox.py checks its bytecode). Arguments are made exact str
    # before any comparison, so no method of the entry's runs while it decides.
    def hook(event, args, *, _type=type, _str=str, _bytes=bytes, _int=int, _len=len,
             _isinstance=isinstance, _text=str.__str__, _raw=bytes.__bytes__,
             _decode=bytes.decode, _encoding=encoding,
             _lstat=os.lstat, _readlink=os.readlink, _getcwd=os.getcwd, _islink=stat.S_ISLNK,
             _getframe=sys._getframe, _errors=(OSError, ValueError), _max_links=_MAX_LINKS,
             _roots=roots, _system=system, _listable=listable, _passing=passing,
             _libraries=libraries, _writes=_WRITES, _processes=_PROCESSES,
             _introspection=_INTROSPECTION, _prefixes=_PREFIXES, _modules=_MODULES,
             _listing=_LISTING, _fork_exec=_FORK_EXEC, _write_flags=_WRITE_FLAGS,
             _repr=repr, _failures=Exception, _log=log, _refusal=Forbidden) -> None:
        if _type(event) is not _str:
            return  # an entry's own sys.audit() with a str subclass: no operation behind it
        what = None
        path = None
        if event == "open" or event in _listing:
            path = args[0] if _len(args) else None
            if path is None and event != "open":
                path = "."
            if _type(path) is _int or _type(path) is _bytes or _type(path) is _str:
                pass
            elif _isinstance(path, _str):
                path = _text(path)  # the characters the C code used, not the entry's __str__
            elif _isinstance(path, _bytes):
                path = _raw(path)
            else:
                what = "a path that is not a string"
            if what is None and _type(path) is _int:
                what = (f"open(file descriptor {path})" if event == "open"
                        else f"listing the folder of file descriptor {path}")
            if what is None and event == "open":
                mode = args[1] if _len(args) > 1 else None
                flags = args[2] if _len(args) > 2 else None
                if (_type(mode) is _str and ("w" in mode or "a" in mode or "x" in mode
                                              or "+" in mode)) or (
                        _type(flags) is _int and flags & _write_flags):
                    what = f"writing the file {path!r}"
            if what is None:
                text = path if _type(path) is _str else _decode(path, _encoding,
                                                                "surrogateescape")
                # The real path, as the kernel will resolve it (os.path.realpath is Python,
                # which an entry could patch): "..", and every symbolic link followed.
                if not text.startswith("/"):
                    text = _getcwd() + "/" + text
                pending = text.split("/")
                pending.reverse()
                done = []
                links = 0
                while pending:
                    part = pending.pop()
                    if part == "" or part == ".":
                        continue
                    if part == "..":
                        if done:
                            done.pop()
                        continue
                    done.append(part)
                    try:
                        mode_bits = _lstat("/" + "/".join(done)).st_mode
                    except _errors:
                        continue  # does not exist (yet): nothing to follow
                    if _islink(mode_bits):
                        links += 1
                        if links > _max_links:
                            done = ["", "too many symbolic links"]
                            break
                        target = _readlink("/" + "/".join(done))
                        done.pop()
                        if target.startswith("/"):
                            done = []
                        more = target.split("/")
                        more.reverse()
                        pending.extend(more)
                real = "/" + "/".join(done)
                inside = real + "/"
                if not (text in _listable or real in _system or real.startswith(_system)
                        or inside.startswith(_roots)):
                    what = (f"reading {path!r} (outside the Python installation)"
                            if event == "open" else f"listing the folder {path!r}")
            elif what == "a path that is not a string":
                what = f"{event} of a {_type(path).__name__} path (give the path as a string)"
        elif event == _fork_exec:
            what = f"{_fork_exec} (starting a process)"
        elif event in _writes:
            what = "(writing to the file system)"
        elif event in _processes:
            what = "(processes, signals and limits are off limits)"
        elif event in _introspection:
            what = f"{event}() (walking the interpreter's objects or making raw code)"
        elif event.startswith(_prefixes):
            what = "(network and C-level access are off limits)"
        elif event == "import" and _len(args) and _isinstance(args[0], _str):
            name = _text(args[0])
            if name in _modules:
                what = f"import {name}"
        elif event == "mmap.__new__" and _len(args) and args[0] != -1:
            what = "mapping a file into memory"
        if what is None:
            return
        if what.startswith("("):  # refused whatever the arguments: show them, shortened
            try:
                shown = _repr(args)
            except _failures:  # an entry's object whose repr fails tells nothing anyway
                shown = "(...)"
            if _len(shown) > 80:
                shown = shown[:76] + "...)"
            what = f"{event}{shown} {what}"
        # Who asked: the nearest frame outside the standard library and this package is the
        # entry's, unless it is an installed library's (which may probe and handle refusals).
        by_entry = False
        frame = _getframe(1)
        while frame is not None:
            name = frame.f_code.co_filename
            if _type(name) is _str and not name.startswith(_passing):
                by_entry = not (name.startswith("/") and name.startswith(_libraries))
                break
            frame = frame.f_back
        _log.append((what, by_entry))
        raise _refusal(f"the tournament sandbox refused {what}")

    return hook


def refusals_by_entry(log: list) -> list[str]:
    """The descriptions of the refusals in ``log`` (from :func:`install`) that the entry's own
    code asked for."""
    return [what for what, by_entry in log if by_entry]


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


def limit_resources(*, memory_mb: float, cpu_seconds: float, max_files: int = 64,
                    processes: int | None = None) -> dict:
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
    processes : int, optional
        Processes and threads of this user (RLIMIT_NPROC): 1 for a worker that has a user of
        its own (:mod:`.confine`), so it can start neither; by default the user's present count
        when not root (root is exempt from the limit).

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
    if processes is not None:
        wanted["RLIMIT_NPROC"] = int(processes)
    elif os.geteuid() != 0:  # counts the user's processes and threads; root is exempt
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
