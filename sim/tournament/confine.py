"""Confining a tournament worker with the operating system (Linux), before the entry runs.

The audit hook (:mod:`.guard`) refuses what an entry may not do, from inside the worker's
Python. This module adds walls the kernel keeps whatever happens inside that Python (an
interpreter bug, memory corruption): the worker calls :func:`confine` after importing what
strategies use and before the hook is installed (it needs ``ctypes``, which the hook then
refuses). Each layer is tried, and recorded as active or missing with the reason; a missing
layer leaves the others, and the tournament records and prints what was missing
(``settings["confinement"]``, see :func:`summary`):

``no_network``
    A network namespace of its own (``unshare(CLONE_NEWNET)``) in which no interface is up,
    not even loopback: no connection can be made to anything, local or remote.
``private_folders``
    A mount namespace of its own in which the folders that might hold what the entry must not
    see are empty, read-only ``tmpfs``: the entries' folders, the tournament's output folder
    and working folder, home folders, temporary folders, ``/run``, ``/mnt``, ``/media`` and
    ``/srv`` (:func:`private_folders`), and ``/proc`` but for the worker's own entry and the
    machine's CPU and memory facts (so no other process, the tournament's command line
    included, can be looked at). The Python installation, its site-packages and the ``sim``
    package are bound back in place, read-only, wherever they lie below a hidden folder.
``own_user``
    When the tournament runs as root, the worker drops to a user and group id of its own
    (``UID_BASE`` plus its process id: no file belongs to it, no other process runs as it, so
    it can signal or trace none), with no supplementary groups. Run by another user, the worker
    keeps that user's id, in a user namespace of its own (which gives it the right to make the
    mounts above, and nothing outside).
``no_privileges``
    Every capability dropped (the bounding set too), ``no_new_privs`` set (no set-user-id
    program or file capability can give any back) and the process made not dumpable (no other
    process of the same user may read its memory).

Namespaces need Linux with user namespaces allowed for the tournament's user (or root); on
macOS, in a container that forbids ``unshare`` or where user namespaces are switched off, those
layers are missing and the audit hook and resource limits remain. Running the whole tournament
in a container or a virtual machine is then the way to keep strangers' code away from the
machine.

What no layer here stops: an entry using its own CPU and memory up to the limits, reading its
own view and source, and what the Python installation contains (readable by design).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["LAYERS", "UID_BASE", "confine", "private_folders", "summary"]

#: The operating-system layers, by name, and what each guarantees.
LAYERS = {
    "no_network": "a network namespace of its own with no interface up: no network at all",
    "private_folders": "a mount namespace of its own in which the entries, output, working, "
                       "home and temporary folders and other processes' /proc entries are "
                       "empty and read-only",
    "own_user": "a user id of its own (when the tournament runs as root), or the tournament's "
                "user inside a user namespace of its own",
    "no_privileges": "no capabilities, no_new_privs, not dumpable",
}
#: The in-process layers (:mod:`.guard`), always active.
IN_PROCESS = {
    "resource_limits": "memory, CPU time, file size, open files and processes limited by the "
                       "kernel (resource.setrlimit)",
    "audit_hook": "an audit hook refusing other files, writing, processes, signals, network and "
                  "C-level access",
}
#: User and group ids of workers started by root: this plus the worker's process id (below
#: 2**22), far above the ids that systems hand out to people and services.
UID_BASE = 2_000_000_000

#: Folders that are never hidden, even when asked: the system itself.
_SYSTEM = frozenset({"/", "/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
                     "/dev", "/sys", "/proc", "/var", "/boot"})
#: Folders hidden from every worker when they exist: homes, temporary and runtime folders.
_ALWAYS = ("/root", "/home", "/tmp", "/var/tmp", "/dev/shm", "/run", "/mnt", "/media", "/srv")
#: /proc files that stay visible (numerical libraries read them; they tell nothing private).
_PROC_FILES = ("cpuinfo", "meminfo", "stat", "loadavg")

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
_PR_SET_DUMPABLE, _PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS = 4, 24, 38
_CAPABILITY_VERSION_3 = 0x20080522
_TMPFS = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC


def private_folders(folders: Iterable = ()) -> tuple[str, ...]:
    """The folders a worker must not see: ``folders`` (the entries' folders, the output
    folder) and the tournament's working folder, home, temporary and runtime folders.

    Parameters
    ----------
    folders : iterable of str or Path
        Folders of the tournament's own; one that does not exist yet stands for the nearest
        folder above it that does (an output folder is made at the end).

    Returns
    -------
    tuple of str
        Real, absolute paths of existing folders, without duplicates, outermost first; never a
        system folder (``/``, ``/usr``, ``/etc``, ...).
    """
    wanted = [*folders, os.getcwd(), Path.home(), os.environ.get("TMPDIR") or "/tmp", *_ALWAYS]
    found: list[str] = []
    for folder in wanted:
        path = Path(folder).expanduser().absolute()
        while not path.exists() and path != path.parent:
            path = path.parent
        real = os.path.realpath(path)
        if os.path.isdir(real) and real not in _SYSTEM and real not in found:
            found.append(real)
    return tuple(sorted(found, key=lambda p: (p.count(os.sep), p)))


def summary(report: dict | None) -> dict:
    """The ``settings["confinement"]`` of a tournament from a worker's report.

    Returns
    -------
    dict
        ``active`` (layer names, the in-process ones included), ``missing`` (layer name ->
        why), ``layers`` (name -> what it guarantees, for every active layer), ``hidden`` (the
        folders made empty) and ``user`` (the worker's user id).
    """
    report = report or {"active": [], "missing": {name: "no worker was started"
                                                  for name in LAYERS}}
    active = [*report.get("active", []), *IN_PROCESS]
    return {"active": active, "missing": dict(report.get("missing", {})),
            "layers": {name: {**LAYERS, **IN_PROCESS}[name] for name in active},
            "hidden": list(report.get("hidden", [])), "user": report.get("user")}


class _Libc:
    """The few C functions confinement needs, raising ``OSError`` on failure."""

    def __init__(self):
        import ctypes

        self._ctypes = ctypes
        self._libc = ctypes.CDLL(None, use_errno=True)

    def call(self, name: str, *args) -> int:
        result = getattr(self._libc, name)(*args)
        if result == -1:
            errno = self._ctypes.get_errno()
            raise OSError(errno, f"{name}: {os.strerror(errno)}")
        return result

    def mount(self, source, target, kind, flags: int, data=None) -> None:
        def raw(value):
            return None if value is None else os.fsencode(value)

        self.call("mount", raw(source), raw(target), raw(kind), self._ctypes.c_ulong(flags),
                  raw(data))

    def drop_capabilities(self) -> None:
        """Empty the effective, permitted and inheritable sets (capset, version 3)."""
        ctypes = self._ctypes
        # struct __user_cap_header_struct {u32 version; int pid;} and two of
        # struct __user_cap_data_struct {u32 effective, permitted, inheritable;}, all zero.
        header = (ctypes.c_uint32 * 2)(_CAPABILITY_VERSION_3, 0)
        data = (ctypes.c_uint32 * 6)()
        self.call("capset", header, data)


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _hide(libc: _Libc, folder: str, keep: dict[str, int], cwd: str) -> None:
    """Mount an empty tmpfs over ``folder``, bind the kept folders below it back in place
    (read-only), recreate the working folder's path (empty), and make it read-only."""
    libc.mount("tmpfs", folder, "tmpfs", _TMPFS, "size=1m,mode=755")
    try:
        for path, fd in keep.items():
            if not _inside(path, folder) or path == folder:
                continue
            os.makedirs(path, exist_ok=True)
            # The source is the folder as it was: reached through a descriptor opened before
            # the tmpfs covered it (fchdir, then "."), as /proc/self/fd may be hidden too.
            os.fchdir(fd)
            libc.mount(".", path, None, _MS_BIND | _MS_REC)
            libc.mount(None, path, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID
                       | _MS_NODEV)
        if _inside(cwd, folder):
            os.makedirs(cwd, exist_ok=True)
        libc.mount(None, folder, None, _MS_REMOUNT | _MS_RDONLY | _TMPFS)
    except OSError:
        os.chdir("/")
        libc.call("umount2", os.fsencode(folder), 2)  # MNT_DETACH: all of it, binds included
        raise
    finally:
        os.chdir("/")


def _hide_proc(libc: _Libc, pid: int) -> None:
    """An empty /proc but for this process's own entry, ``self`` and :data:`_PROC_FILES`."""
    own = os.open(f"/proc/{pid}", os.O_PATH | os.O_DIRECTORY)
    proc = os.open("/proc", os.O_PATH | os.O_DIRECTORY)
    try:
        libc.mount("tmpfs", "/proc", "tmpfs", _TMPFS, "size=64k,mode=755")
        try:
            os.mkdir(f"/proc/{pid}")
            os.fchdir(own)
            libc.mount(".", f"/proc/{pid}", None, _MS_BIND | _MS_REC)
            os.fchdir(proc)
            for name in _PROC_FILES:
                if os.path.exists(name):
                    os.close(os.open(f"/proc/{name}", os.O_CREAT | os.O_WRONLY, 0o444))
                    libc.mount(name, f"/proc/{name}", None, _MS_BIND)
            os.symlink(str(pid), "/proc/self")
            os.symlink(f"{pid}/task/{pid}", "/proc/thread-self")
            libc.mount(None, "/proc", None, _MS_REMOUNT | _MS_RDONLY | _TMPFS)
        except OSError:
            os.chdir("/")
            libc.call("umount2", b"/proc", 2)
            raise
    finally:
        os.chdir("/")
        os.close(own)
        os.close(proc)


def _world_readable(path: str) -> bool:
    """Whether any user may read ``path`` (every folder on the way searchable by others)."""
    import stat

    parts = Path(path).parts
    for i in range(1, len(parts) + 1):
        try:
            mode = os.stat(Path(*parts[:i])).st_mode
        except OSError:
            return False
        if not mode & stat.S_IXOTH or (i == len(parts) and not mode & stat.S_IROTH):
            return False
    return True


def confine(hide: Sequence[str], keep: Sequence[str], *, switched_on: bool = True) -> dict:
    """Confine this process (see the module docstring). Call it once, before any entry code.

    Parameters
    ----------
    hide : sequence of str
        Folders to make empty (:func:`private_folders`, computed by the tournament).
    keep : sequence of str
        Folders that must stay readable wherever they lie (the Python installation, its
        site-packages, the ``sim`` package: :func:`sim.tournament.guard.allowed_roots`).
    switched_on : bool
        False skips every layer (recorded as missing: the in-process layers only).

    Returns
    -------
    dict
        ``active`` (names of :data:`LAYERS` in force), ``missing`` (name -> why not),
        ``hidden`` (folders made empty) and ``user`` (this process's user id now).
    """
    missing: dict[str, str] = {}
    active: list[str] = []
    hidden: list[str] = []

    def done() -> dict:
        return {"active": [n for n in LAYERS if n in active], "missing": missing,
                "hidden": hidden, "user": os.getuid() if hasattr(os, "getuid") else None}

    if not switched_on:
        missing.update(dict.fromkeys(LAYERS, "switched off"))
        return done()
    if not sys.platform.startswith("linux"):
        missing.update(dict.fromkeys(LAYERS, f"not available on {sys.platform} (Linux only)"))
        return done()
    libc = _Libc()
    os.umask(0o022)  # the folders made for binds must be searchable by the worker's user
    pid = os.getpid()
    root = os.geteuid() == 0
    own_id = UID_BASE + pid
    cwd = os.getcwd()
    keep = sorted({os.path.realpath(k) for k in keep if os.path.isdir(k)})
    userns = False
    try:
        if root:  # the mounts made by real root stay out of reach of the unprivileged user
            libc.call("unshare", _CLONE_NEWNS | _CLONE_NEWNET)
        else:
            raise PermissionError("not root")
    except OSError:
        try:
            uid, gid = os.getuid(), os.getgid()
            if root:  # root without the right to unshare: the user first, then its namespace
                uid = gid = own_id
                os.setgroups([])
                os.setresgid(gid, gid, gid)
                os.setresuid(uid, uid, uid)
                libc.call("prctl", _PR_SET_DUMPABLE, 1, 0, 0, 0)  # so it may write its maps
            libc.call("unshare", _CLONE_NEWUSER | _CLONE_NEWNS | _CLONE_NEWNET)
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"{uid} {uid} 1")
            _write("/proc/self/gid_map", f"{gid} {gid} 1")
            userns = True
        except OSError as err:
            why = f"namespaces unavailable ({err.strerror or err})"
            missing.update({"no_network": why, "private_folders": why})
    namespaces = "no_network" not in missing
    if namespaces:
        active.append("no_network")
        try:
            libc.mount(None, "/", None, _MS_REC | _MS_PRIVATE)  # nothing propagates out
            # Descriptors of the kept folders in this namespace, before anything covers them.
            fds = {k: os.open(k, os.O_PATH | os.O_DIRECTORY) for k in keep}
            failed = []
            try:
                for folder in hide:
                    if not os.path.isdir(folder) or any(_inside(folder, k) for k in keep):
                        continue  # under a folder hidden already, or readable by design
                    try:
                        _hide(libc, folder, fds, cwd)
                        hidden.append(folder)
                    except OSError as err:
                        failed.append(f"{folder} ({err.strerror or err})")
            finally:
                for fd in fds.values():
                    os.close(fd)
            try:
                _hide_proc(libc, pid)
                hidden.append("/proc")
            except OSError as err:
                failed.append(f"/proc ({err.strerror or err})")
            if failed:
                missing["private_folders"] = "could not hide " + ", ".join(failed)
            else:
                active.append("private_folders")
        except OSError as err:
            missing["private_folders"] = f"mount failed ({err.strerror or err})"
        os.chdir(cwd if os.path.isdir(cwd) else "/")
    # Privileges: the bounding set first (it needs CAP_SETPCAP), then the user or capset.
    try:
        last = int(Path("/proc/sys/kernel/cap_last_cap").read_text()) if Path(
            "/proc/sys/kernel/cap_last_cap").exists() else 40
    except (OSError, ValueError):
        last = 40
    for cap in range(last + 1):
        try:
            libc.call("prctl", _PR_CAPBSET_DROP, cap, 0, 0, 0)
        except OSError:
            break  # not allowed (no CAP_SETPCAP): the capability sets below still go
    if root and os.geteuid() == 0:
        readable = [k for k in keep if not _world_readable(k)]
        if readable:
            missing["own_user"] = ("the Python installation is not readable by other users: "
                                   + ", ".join(readable))
        else:
            os.setgroups([])
            os.setresgid(own_id, own_id, own_id)
            os.setresuid(own_id, own_id, own_id)  # every capability goes with root
    if os.geteuid() != 0 and (root or userns):
        active.append("own_user")
    elif os.geteuid() != 0:
        missing.setdefault("own_user", "no user namespace: runs as the tournament's user")
    try:
        if userns or os.geteuid() != 0:
            libc.drop_capabilities()
        libc.call("prctl", _PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        libc.call("prctl", _PR_SET_DUMPABLE, 0, 0, 0, 0)
        if os.geteuid() != 0:
            active.append("no_privileges")
        else:
            missing["no_privileges"] = "still root"
    except OSError as err:
        missing["no_privileges"] = f"could not drop them ({err.strerror or err})"
    return done()
