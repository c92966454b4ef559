"""Tournaments (issue 7, point 4): untrusted entries stay contained.

One tournament plays an honest team against a gallery of hostile entries: an infinite loop, a
memory bomb, exceptions, reading another team's file, writing, starting processes, the network,
killing the tournament, reaching for the truth, garbage answers, files that do not load. For
each: the tournament finishes, the incident is recorded with the right kind, the fallback
decided the cycles, and the honest team's runs are exactly what they are without the others.

Then the attacks on the sandbox itself: overwriting the fork_exec stub's closure, walking a
refusal's traceback into the audit hook's frame, rebinding the guard module's globals, cffi,
CPython's test modules, reloading _posixsubprocess and paths that change after the check; each
must still fail to read another entry's file, with the audit hook alone and with the
operating-system layers. The operating system's confinement is checked on its own (no hook),
and an entry that hunts for its run's seed to replay the market must find nothing.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.tournament import run_tournament
from sim.tournament.wire import view_payload
from sim.view import OBSERVABLE_COLUMNS, TRUTH_KPIS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "tournament"
HORIZON = 120
SC = sim.Scenario.load("classroom").replace(horizon_days=HORIZON)
CYCLES = math.ceil(HORIZON / SC.cycle_days)  # 4
SEED = 21
TIMEOUT = 2.0
STRIKES = 2


def _entry(body: str, header: str = "") -> str:
    """A team file whose strategy runs ``body`` (indented) before returning valid actions."""
    return (f"import sim\n{header}\n\ndef strategy(view):\n"
            f"{textwrap.indent(textwrap.dedent(body).strip(), '    ')}\n"
            "    return sim.Actions(mass_spend=5_000.0, agents=2)\n")


SPY = """
    import json, sys
    from sim.view import OBSERVABLE_COLUMNS, TRUTH_KPIS
    seen = {}
    try:
        view._model
        seen["model_attribute"] = "present"
    except AttributeError:
        seen["model_attribute"] = "AttributeError"
    seen["customer_columns"] = list(view.customers.columns) == list(OBSERVABLE_COLUMNS)
    seen["customers"] = len(view.customers)
    seen["truth_in_kpis"] = sorted(set(view.kpis.columns) & set(TRUTH_KPIS))
    seen["truth_in_raw_rows"] = sorted({k for row in view._kpi_rows for k in row}
                                       & set(TRUTH_KPIS))
    seen["truth_in_recent"] = sorted({k for row in view.recent(9) for k in row} & set(TRUTH_KPIS))
    seen["latent_raw_columns"] = sorted(set(view._columns) & {"hazard", "satisfaction",
                                        "churn_clock", "spend", "rate", "fit", "person"})
    # Import the engine's modules and look for any engine object anywhere: there is none.
    import sim.engine.model, sim.result
    kinds = (sim.engine.model.Model, sim.result.Result)
    found = set()
    for module in list(sys.modules.values()):
        for value in list(getattr(module, "__dict__", {}).values()):
            if isinstance(value, kinds):
                found.add(type(value).__name__)
    seen["engine_objects"] = sorted(found)
    seen["view_attributes"] = sorted(k for k in vars(view) if not k.startswith("__"))
    raise RuntimeError("SPY" + json.dumps(seen) + "END")
"""


def _gallery(tmp: Path) -> dict[str, str]:
    honest = (EXAMPLES / "growth_first.py").read_text()
    target = tmp / "honest.py"
    return {
        "honest": honest,
        "loop": _entry("while True:\n    pass"),
        "bomb": _entry("block = bytearray(10**10)"),
        "hoarder": _entry("hoard = []\nwhile True:\n    hoard.append(bytearray(10**6))"),
        "boom": _entry("raise ValueError('boom at cycle %d' % view.cycle)"),
        "peeker": _entry(f"open({str(target)!r}).read()"),
        "passwd": _entry("open('/etc/passwd').read()"),
        "writer": _entry(f"open({str(tmp / 'written.txt')!r}, 'w').write('x')"),
        "shell": _entry(f"import subprocess\nsubprocess.run(['touch', {str(tmp / 'touched')!r}])"),
        "spawner": _entry("import multiprocessing.util as mu\n"
                          "mu.spawnv_passfds(b'/bin/true', [b'/bin/true'], [])"),
        "net": _entry("import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)"),
        "assassin": _entry("import os\nos.kill(os.getppid(), 9)"),
        "crasher": _entry("import os\nos._exit(3)"),
        "saboteur": _entry("import os\nfor fd in range(3, 12):\n    try:\n"
                           "        os.write(fd, b'NOT A FRAME' * 100)\n"
                           "    except OSError:\n        pass"),
        "spy": _entry(SPY),
        "collector": _entry("import gc\n[o for o in gc.get_objects() if type(o).__name__ == "
                            "'Model']"),
        "chatty": _entry("", "print('hello from the top level')"),
        "sneaky": _entry("try:\n    open('/etc/hostname').read()\nexcept PermissionError:\n"
                         "    pass"),
        "flaky": ("import sim\n\ndef strategy(view):\n    if view.cycle % 2:\n"
                  "        raise KeyError('odd cycle')\n"
                  "    return sim.Actions(mass_spend=7_000.0 + 100 * view.cycle, agents=2,\n"
                  "                       retention_offers=tuple(view.active_customers\n"
                  "                                              ['customer_id'][:3]))\n"),
        "garbage_text": "def strategy(view):\n    return 'spend it all'\n",
        "garbage_spend": "import sim\n\ndef strategy(view):\n"
                         "    return sim.Actions(mass_spend=-1_000.0)\n",
        "garbage_keys": "def strategy(view):\n    return {'mass_spend': 1_000.0, 'bribe': 1}\n",
        "garbage_ids": "import sim\n\ndef strategy(view):\n"
                       "    return sim.Actions(retention_offers=(10**9,))\n",
        "garbage_discount": "import sim\n\ndef strategy(view):\n"
                            "    return sim.Actions(agents=2, discounts={10**9: 0.1})\n",
        "pricer": ("import sim\n\ndef strategy(view):\n"
                   "    ids = view.active_customers['customer_id'][:5]\n"
                   "    return sim.Actions(agents=2, mass_spend=5_000.0,\n"
                   "                       list_prices={'high_maintenance': 1.5},\n"
                   "                       discounts={int(i): 0.1 for i in ids})\n"),
        "nameless": "import sim\n\ndef strateg(view):\n    return sim.Actions()\n",
        "syntax": "def strategy(view)\n    return None\n",
    }


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gallery")
    folder = tmp / "entries"
    folder.mkdir()
    sources = _gallery(folder)
    for team, source in sources.items():
        (folder / f"{team}.py").write_text(source)
    result = run_tournament(folder, SC, replications=1, seed=SEED, presets=(),
                            decision_timeout=TIMEOUT, memory_mb=256, max_strikes=STRIKES,
                            jobs=2, progress=False)
    return result, tmp, folder


@pytest.fixture(scope="module")
def defaults_run():
    """What a run decided by sim.Actions() every cycle gives (the fallback before any valid
    decision)."""
    return sim.run(SC, lambda view: sim.Actions(), seed=SEED, transactions="none")


def _incidents(result, team) -> pd.DataFrame:
    return result.incidents[result.incidents["team"] == team].reset_index(drop=True)


def _row(result, team) -> pd.Series:
    return result.runs.set_index("team").loc[team]


def _fell_back_throughout(result, team, defaults_run, kind):
    """The team never decided, each cycle fell back on sim.Actions(), and the run is exactly
    the run of a strategy that always returns sim.Actions()."""
    row = _row(result, team)
    assert row["decisions"] == 0 and row["fallbacks"] == CYCLES, team
    assert row["status"] == kind, team
    for kpi, value in defaults_run.summary().items():
        assert row[kpi] == pytest.approx(value, nan_ok=True, rel=1e-12), (team, kpi)
    incidents = _incidents(result, team)
    assert len(incidents) >= 1 and (incidents["kind"] == kind).all(), incidents
    assert incidents["fallback"].str.startswith("sim.Actions() defaults").all()
    return incidents


def _failed_every_cycle(result, team, defaults_run, kind):
    incidents = _fell_back_throughout(result, team, defaults_run, kind)
    assert list(incidents["cycle"]) == list(range(CYCLES))
    return incidents


def test_the_tournament_finishes_and_the_honest_team_is_unaffected(gallery):
    result, tmp, folder = gallery
    assert len(result.teams) == len(_gallery(folder))
    strategy = {}
    exec(compile((EXAMPLES / "growth_first.py").read_text(), "growth_first", "exec"), strategy)
    direct = sim.run(SC, strategy["strategy"], seed=SEED, transactions="none")
    row = _row(result, "honest")
    assert row["decisions"] == CYCLES and row["fallbacks"] == 0 and row["status"] == "ok"
    for kpi, value in direct.summary().items():
        assert row[kpi] == pytest.approx(value, nan_ok=True, rel=1e-12), kpi
    assert _incidents(result, "honest").empty
    assert "honest" in set(result.leaderboard["team"])
    # Nothing was written, touched or started outside the workers.
    assert sorted(p.name for p in tmp.iterdir()) == ["entries"]


def test_an_infinite_loop_times_out_and_then_sits_out_the_run(gallery, defaults_run):
    result = gallery[0]
    incidents = _fell_back_throughout(result, "loop", defaults_run, "timeout")
    # One time-out per strike, then the entry sits out the run without being asked.
    assert list(incidents["cycle"]) == list(range(STRIKES))
    assert "longer than the 2 s limit" in incidents["detail"][0]
    assert "sits out the rest of this run: 2 more cycles" in incidents["detail"].iloc[-1]


def test_a_memory_bomb_is_stopped(gallery, defaults_run):
    incidents = _fell_back_throughout(gallery[0], "bomb", defaults_run, "memory")
    assert "over the memory limit" in incidents["detail"][0]
    assert "bytearray(10**10)" in incidents["detail"][0]


def test_a_growing_hoard_of_memory_is_stopped(gallery, defaults_run):
    incidents = _fell_back_throughout(gallery[0], "hoarder", defaults_run, "memory")
    assert len(incidents) == STRIKES  # each one restarts the worker: a strike


def test_an_exception_is_recorded_with_its_line(gallery, defaults_run):
    incidents = _failed_every_cycle(gallery[0], "boom", defaults_run, "error")
    assert incidents["detail"][2].startswith("ValueError: boom at cycle 2 (line 5 in strategy")


@pytest.mark.parametrize(("team", "refused"), [
    ("peeker", "reading '"),  # another team's file, by its absolute path
    ("passwd", "reading '/etc/passwd'"),
    ("writer", "writing the file"),
    ("shell", "subprocess.Popen"),
    ("spawner", "_posixsubprocess.fork_exec"),
    ("net", "socket."),
    ("assassin", "os.kill"),
    ("collector", "gc.get_objects"),
])
def test_forbidden_operations_are_refused(gallery, defaults_run, team, refused):
    result, _, folder = gallery
    incidents = _failed_every_cycle(result, team, defaults_run, "forbidden")
    assert incidents["detail"].str.startswith(f"refused {refused}").all(), incidents["detail"][0]
    if team == "peeker":
        assert str(folder / "honest.py") in incidents["detail"][0]


def test_a_worker_that_kills_itself_is_restarted_then_benched(gallery, defaults_run):
    incidents = _fell_back_throughout(gallery[0], "crasher", defaults_run, "crash")
    assert len(incidents) == STRIKES
    assert incidents["detail"][0].startswith("the worker exited with status 3")


def test_a_worker_that_garbles_the_pipe_is_restarted(gallery, defaults_run):
    incidents = _fell_back_throughout(gallery[0], "saboteur", defaults_run, "crash")
    assert len(incidents) == STRIKES
    assert "broke the message framing" in incidents["detail"][0]


def _views(horizon_days: int = 60, seed: int = 1) -> list:
    views = []
    sim.run(SC.replace(horizon_days=horizon_days), lambda v: views.append(v) or sim.Actions(),
            seed=seed)
    return views


def test_a_worker_that_uses_up_its_cpu_time_is_stopped_by_the_backstop():
    """Decisions within the time limit that add up to more CPU than the worker's life allows:
    the kernel stops the worker (SIGXCPU), the cycle reports it and the worker restarts."""
    from sim.tournament.sandbox import Sandbox, entry_key

    views = _views()
    source = ("import time\nimport sim\n\ndef strategy(view):\n"
              "    end = time.process_time() + 1.5\n    while time.process_time() < end:\n"
              "        pass\n    return sim.Actions()\n")
    sandbox = Sandbox("spinner", source, decision_timeout=5, memory_mb=256, cpu_seconds=1)
    key = entry_key(1)
    try:
        first = sandbox.decide(key, lambda customers: view_payload(views[0], customers=customers))
        assert first.failure is None and first.actions["agents"] == 1
        second = sandbox.decide(key, lambda customers: view_payload(views[1],
                                                                    customers=customers))
        assert second.failure is not None and second.failure.kind == "timeout"
        assert "SIGXCPU" in second.failure.detail and second.failure.restarted
        assert sandbox.starts == 1
    finally:
        sandbox.close()
    assert not sandbox.alive


def test_the_truth_and_the_engine_are_out_of_reach(gallery, defaults_run):
    incidents = _failed_every_cycle(gallery[0], "spy", defaults_run, "error")
    for detail in incidents["detail"]:
        seen = json.loads(detail[detail.index("SPY") + 3: detail.index("END")])
        assert seen["model_attribute"] == "AttributeError"
        assert seen["customer_columns"] is True and seen["customers"] > 0
        assert seen["truth_in_kpis"] == [] and seen["truth_in_raw_rows"] == []
        assert seen["truth_in_recent"] == [] and seen["latent_raw_columns"] == []
        assert seen["engine_objects"] == []
        assert set(seen["view_attributes"]) <= {
            "day", "cycle", "cycle_days", "horizon_days", "budget", "segments", "prices",
            "actions", "n_active", "_columns", "_kpi_rows", "_strategy", "customers", "kpis"}
    assert set(TRUTH_KPIS) and set(OBSERVABLE_COLUMNS)  # the sets compared are not empty


def test_printing_is_harmless(gallery):
    result = gallery[0]
    row = _row(result, "chatty")
    assert row["decisions"] == CYCLES and _incidents(result, "chatty").empty


def test_a_caught_refusal_is_reported_but_the_decision_stands(gallery):
    result = gallery[0]
    row = _row(result, "sneaky")
    assert row["decisions"] == CYCLES and row["fallbacks"] == 0 and row["status"] == "ok"
    incidents = _incidents(result, "sneaky")
    assert list(incidents["cycle"]) == list(range(CYCLES))
    assert (incidents["kind"] == "forbidden").all()
    assert incidents["detail"].str.startswith("refused reading '/etc/hostname'").all()
    assert incidents["fallback"].str.startswith("none: the entry caught the refusal").all()


def test_the_last_valid_actions_fall_back_without_campaign_lists(gallery):
    result = gallery[0]
    row = _row(result, "flaky")
    assert (row["decisions"], row["fallbacks"], row["status"]) == (2, 2, "error")
    incidents = _incidents(result, "flaky")
    assert list(incidents["cycle"]) == [1, 3]
    assert incidents["detail"][0].startswith("KeyError: 'odd cycle'")
    assert list(incidents["fallback"]) == [
        "last valid actions (cycle 0) without campaign lists",
        "last valid actions (cycle 2) without campaign lists"]
    tl = result.timelines[result.timelines["team"] == "flaky"]
    assert list(tl["mass_spend"]) == [7_000.0, 7_000.0, 7_200.0, 7_200.0]
    assert list(tl["offers_sent"] > 0) == [True, False, True, False]


def test_prices_and_discounts_cross_the_pipe(gallery):
    result = gallery[0]
    assert _incidents(result, "pricer").empty
    tl = result.timelines[result.timelines["team"] == "pricer"]
    assert (tl["discounted_customers"] == 5).all()
    assert (tl["cost_discount"] > 0).all() and (tl["price_index"] != 1.0).all()


@pytest.mark.parametrize(("team", "kind", "detail"), [
    ("garbage_text", "invalid", "strategy returned str 'spend it all'"),
    ("garbage_spend", "invalid", "Actions.mass_spend = -1000.0: must be a number >= 0"),
    ("garbage_keys", "invalid", "Actions has no field 'bribe'"),
    ("garbage_ids", "invalid", "Actions.retention_offers contains 1000000000: no such customer"),
    ("garbage_discount", "invalid", "Actions.discounts contains 1000000000: no such customer"),
])
def test_garbage_answers_are_invalid(gallery, defaults_run, team, kind, detail):
    incidents = _failed_every_cycle(gallery[0], team, defaults_run, kind)
    assert incidents["detail"].str.startswith(detail).all(), incidents["detail"][0]


@pytest.mark.parametrize(("team", "detail"), [
    ("nameless", "while loading the file"),
    ("syntax", "while loading the file: SyntaxError"),
])
def test_a_file_that_does_not_load_sits_out_the_run(gallery, defaults_run, team, detail):
    incidents = _fell_back_throughout(gallery[0], team, defaults_run, "load")
    assert len(incidents) == 1 and incidents["cycle"][0] == 0
    assert detail in incidents["detail"][0] or incidents["detail"][0].startswith(
        "the file defines no strategy")
    assert "sits out the rest of this run" in incidents["detail"][0]


def test_a_preset_fallback_decides_as_the_preset(tmp_path):
    """With fallback="transactional", an entry that always fails plays exactly as the
    transactional preset on the same seed (which also plays, as a yardstick)."""
    (tmp_path / "boom.py").write_text(_entry("raise ValueError('no')"))
    shutil.copy(EXAMPLES / "service_first.py", tmp_path / "service_first.py")
    result = run_tournament(tmp_path, SC, replications=1, seed=SEED,
                            presets=("transactional",), fallback="transactional",
                            progress=False)
    runs = result.runs.set_index("team")
    kpis = list(sim.run(SC, sim.strategies.transactional, seed=SEED,
                        transactions="none").summary())
    pd.testing.assert_series_equal(runs.loc["boom", kpis], runs.loc["transactional", kpis],
                                   check_names=False)
    assert (_incidents(result, "boom")["fallback"] == "preset transactional").all()
    assert runs.loc["service_first", "fallbacks"] == 0


def test_entries_drawing_from_global_random_numbers_replay_identically(tmp_path):
    (tmp_path / "gambler.py").write_text(
        "import random\nimport numpy as np\nimport sim\n\n"
        "def strategy(view):\n"
        "    spend = 4_000 + 4_000 * random.random() + 1_000 * np.random.rand()\n"
        "    return sim.Actions(mass_spend=spend, agents=2)\n")
    first, second = (run_tournament(tmp_path, SC.replace(horizon_days=60), replications=2,
                                    seed=SEED, presets=(), progress=False) for _ in range(2))
    pd.testing.assert_frame_equal(first.timelines, second.timelines)
    spend = first.timelines["mass_spend"]
    assert spend.nunique() == len(spend)  # the draws differ by run and cycle


def test_an_unreadable_file_plays_on_the_fallback(tmp_path, defaults_run):
    (tmp_path / "latin1.py").write_bytes(b"# caf\xe9\ndef strategy(view):\n    pass\n")
    result = run_tournament(tmp_path, SC, replications=1, seed=SEED, presets=(),
                            progress=False)
    incidents = _fell_back_throughout(result, "latin1", defaults_run, "load")
    assert incidents["detail"][0].startswith("the file is not UTF-8 text")


# -- the guard cannot be switched off (reviewer's attacks, and their generalisations) ----------
SECRET = "the victim's secret plan: mass_spend=7777"

#: Tries to read the victim's file, list its folder, start a process and open a socket after
#: the attack in ATTACK has run; reports what it got as JSON in its exception.
_LOOTER = """
import json, os, sys
import sim

VICTIM = {victim!r}

def _loot():
    got = {{}}
    for name, attempt in (("read", lambda: open(VICTIM).read()),
                          ("list", lambda: os.listdir(os.path.dirname(VICTIM))),
                          ("passwd", lambda: open("/etc/passwd").read()),
                          ("system", lambda: os.system("true")),
                          ("socket", lambda: __import__("socket").socket().close())):
        try:
            got[name] = repr(attempt())[:200]
        except BaseException as exc:  # (isinstance may be patched by the attack)
            kind = type(exc).__name__
            got[name] = "refused" if kind in ("Forbidden", "PermissionError") else kind
    return got

{attack}

def strategy(view):
    try:
        attack()
        tampered = "done"
    except BaseException as exc:
        tampered = f"{{type(exc).__name__}}: {{exc}}"[:300]
    raise RuntimeError("LOOT" + json.dumps({{"attack": tampered, "loot": _loot()}}) + "END")
"""

ATTACKS = {
    # The reviewer's one line: the stub's closure cell held the hook's refuse().
    "closure_cell": """
def attack():
    import subprocess
    stubs = (sys.modules["_posixsubprocess"].fork_exec,
             getattr(getattr(subprocess, "_posixsubprocess", None), "fork_exec", None),
             getattr(subprocess, "_fork_exec", None))
    cells = [cell for stub in stubs for cell in getattr(stub, "__closure__", None) or ()]
    for cell in cells:
        cell.cell_contents = lambda *a, **k: None
    if not cells:
        raise LookupError("no closure")
""",
    # A refusal's traceback ends in the hook's own frame: overwrite everything found in the
    # traceback's frames (closure cells, function code, lists, locals) and in the guard's
    # module globals, and in every guard frame further up.
    "traceback_frames": """
def _permissive(*args, **kwargs):
    return True

def attack():
    try:
        open("/etc/hostname").read()
    except PermissionError as exc:
        tb = exc.__traceback__
    frames = []
    while tb is not None:
        frame = tb.tb_frame
        while frame is not None:
            if frame not in frames and (not frames or frame.f_globals.get(
                    "__name__", "").startswith("sim.tournament.guard")):
                frames.append(frame)
            frame = frame.f_back
        tb = tb.tb_next
    hook_frames = 0
    for frame in frames:
        if frame.f_code is attack.__code__:
            continue  # (its own)
        if "_roots" in frame.f_locals:
            hook_frames += 1
        for value in list(frame.f_locals.values()):
            if type(value).__name__ == "function":
                for cell in value.__closure__ or ():
                    cell.cell_contents = _permissive
                value.__code__ = _permissive.__code__
            elif isinstance(value, list):
                value.clear()
        for name in list(frame.f_locals):
            frame.f_locals[name] = ("/",) if name.startswith("_") else _permissive
        if frame.f_globals.get("__name__", "").startswith("sim.tournament.guard"):
            for name, value in list(frame.f_globals.items()):
                if isinstance(value, (frozenset, set)):
                    frame.f_globals[name] = frozenset()
                elif isinstance(value, tuple):
                    frame.f_globals[name] = ("/",)
    if not hook_frames:
        raise LookupError("the hook's frame was not in the traceback")
""",
    # Rebinding the guard module's globals, os.path.realpath and builtins, and paths whose
    # text changes between the check and the use.
    "module_globals": """
def attack():
    import builtins, posixpath
    from sim.tournament import guard
    guard._WRITES = guard._PROCESSES = guard._MODULES = guard._INTROSPECTION = frozenset()
    guard._PREFIXES = ()
    guard._SYSTEM_INFO = ("/",)
    guard.allowed_roots = lambda *extra: ("/",)
    guard.Forbidden = type("Harmless", (Exception,), {})
    guard.install = lambda *a, **k: None
    posixpath.realpath = os.path.realpath = lambda path, **k: guard.__file__
    posixpath.normpath = lambda path: guard.__file__
    builtins.isinstance = lambda obj, kind: False
    sys.modules["_posixsubprocess"] = None
""",
    # Known C-level ways around audit events: cffi, CPython's test modules, re-loading the
    # real _posixsubprocess, raw bytecode, a path object whose text changes after the check.
    "other_tricks": """
def attack():
    import importlib.util, _imp, posixpath, types
    errors = []
    for trick in (
            lambda: __import__("cffi").FFI().dlopen(None),
            lambda: __import__("_testcapi"),
            lambda: _imp.create_dynamic(importlib.util.find_spec("_posixsubprocess")),
            lambda: (lambda f: f.__code__.replace(co_code=f.__code__.co_code))(attack),
            lambda: __import__("gc").get_objects()):
        try:
            trick()
            errors.append("passed")
        except BaseException as exc:
            errors.append(type(exc).__name__)
    class Flip:
        calls = 0
        def __fspath__(self):
            Flip.calls += 1
            return posixpath.__file__ if Flip.calls > 1 else VICTIM
    class Liar(str):
        def __eq__(self, other):
            return False
        def __hash__(self):
            return 1
        def startswith(self, *a):
            return True
    for path in (Flip(), Liar(VICTIM)):
        try:
            errors.append(open(path).read()[:60])
        except BaseException as exc:
            errors.append(type(exc).__name__)
    if "passed" in errors or any(SECRET_PART in e for e in errors):
        raise AssertionError(errors)
    raise LookupError(",".join(errors))
""",
}


@pytest.fixture(scope="module")
def victim(tmp_path_factory):
    folder = tmp_path_factory.mktemp("victims")
    path = folder / "victim.py"
    path.write_text(f"import sim\\nPLAN = {SECRET!r}\\ndef strategy(view):\\n"
                    "    return sim.Actions(mass_spend=7_777.0)\\n")
    return path


@pytest.fixture(scope="module")
def first_view():
    return _views(30)[0]


def _attack(victim, view, attack: str, *, confine: bool) -> tuple[object, dict]:
    from sim.tournament.confine import private_folders
    from sim.tournament.sandbox import Sandbox, entry_key

    source = _LOOTER.format(victim=str(victim), attack=ATTACKS[attack].replace(
        "SECRET_PART", repr(SECRET[:20])))
    sandbox = Sandbox("attacker", source, decision_timeout=10, memory_mb=256, cpu_seconds=60,
                      private=private_folders([victim.parent]), confine=confine)
    try:
        answer = sandbox.decide(entry_key(SEED), lambda customers: view_payload(
            view, customers=customers))
    finally:
        sandbox.close()
    failure = answer.failure
    assert failure is not None, answer
    assert SECRET not in failure.detail and "root:" not in failure.detail
    detail = failure.detail
    assert "LOOT{" in detail, detail
    return failure, json.loads(detail[detail.index("LOOT{") + 4: detail.index("}END") + 1])


@pytest.mark.parametrize("confine", [False, True], ids=["hook_alone", "hook_and_os"])
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_tampering_cannot_switch_the_guard_off(victim, first_view, attack, confine):
    """Each attack runs, then the entry tries to read another team's file, list its folder,
    read /etc/passwd, start a process and open a socket: every one is refused, by the audit
    hook alone (the operating-system layers switched off) as with them."""
    failure, report = _attack(victim, first_view, attack, confine=confine)
    assert failure.kind in ("forbidden", "error"), failure
    assert report["loot"] == dict.fromkeys(("read", "list", "passwd", "system", "socket"),
                                           "refused"), report
    if attack == "closure_cell":
        assert report["attack"].startswith("LookupError")  # the stub has no closure
    if attack == "traceback_frames":
        assert report["attack"] == "done"  # it found the hook's frame and overwrote it all
    if attack == "other_tricks":
        assert report["attack"].startswith("LookupError"), report  # every trick failed


def test_the_audit_hook_keeps_no_state_an_entry_could_change():
    """The hook has no closure, looks up no global or builtin (so rebinding one changes
    nothing), and its state is immutable but for the log it appends to; the fork_exec stub
    has no closure and holds nothing of the real function."""
    import dis

    from sim.tournament import guard

    log: list = []
    hook = guard._make_hook(("/nowhere/",), log)
    assert hook.__closure__ is None and not hook.__code__.co_freevars
    assert not hook.__code__.co_cellvars
    ops = {i.opname for i in dis.get_instructions(hook)}
    assert not {op for op in ops if "GLOBAL" in op or "DEREF" in op or "NAME" in op}, ops
    mutable = {k for k, v in hook.__kwdefaults__.items()
               if not isinstance(v, str | int | tuple | frozenset | type)
               and type(v).__name__ not in ("builtin_function_or_method", "method_descriptor",
                                            "wrapper_descriptor")}
    assert mutable == {"_log"} and hook.__kwdefaults__["_log"] is log
    stub = guard._refused_fork_exec
    assert stub.__closure__ is None
    assert all(isinstance(v, str) or (callable(v) and type(v).__name__ ==
               "builtin_function_or_method") for v in stub.__kwdefaults__.values())
    # The hook decides without being installed: a read outside the roots is refused.
    with pytest.raises(guard.Forbidden, match="reading '/etc/passwd'"):
        hook("open", ("/etc/passwd", "r", 0))
    assert hook("open", ("/nowhere/x.py", "r", 0)) is None
    with pytest.raises(guard.Forbidden, match="outside"):  # a link out of the roots
        hook("open", (f"/proc/{os.getpid()}/root/etc/passwd", "r", 0))
    assert [what for what, _ in log][:1] == ["reading '/etc/passwd' (outside the Python "
                                             "installation)"]


_PROBE = """
import ctypes, json, os, socket, sys
import sim
from sim.tournament import confine, guard
sim_dir = os.path.dirname(os.path.realpath(sim.__file__))
report = confine.confine(json.loads(sys.argv[1]), guard.allowed_roots(sim_dir))
seen = {"report": report}
def attempt(name, action):
    try:
        seen[name] = action()
    except OSError as err:
        seen[name] = err.errno
attempt("entries", lambda: os.listdir(sys.argv[2]))
attempt("victim", lambda: open(sys.argv[3]).read())
attempt("proc", lambda: sorted(p for p in os.listdir("/proc") if p.isdigit()))
attempt("parent", lambda: open(f"/proc/{os.getppid()}/cmdline").read())
attempt("network", lambda: socket.create_connection(("127.0.0.1", 9), timeout=1) and "up")
attempt("write", lambda: open(os.path.join(sys.argv[2], "x"), "w") and "written")
libc = ctypes.CDLL(None, use_errno=True)
seen["umount"] = libc.umount2(sys.argv[2].encode(), 2) == 0
seen["status"] = {k: v.split()[0] for k, v in (line.split(":", 1) for line in
                  open("/proc/self/status")) if k in ("Uid", "CapEff", "CapBnd", "NoNewPrivs")}
import xml.dom.minidom, sim.exercises  # imports after confinement still find their files
seen["imports"] = True
print(json.dumps(seen))
"""


def test_the_operating_system_confines_a_worker_without_the_audit_hook(victim):
    """confine() alone (no audit hook): the entries' folder and other processes are invisible,
    nothing can be written, there is no network, the process has a user of its own (as root)
    and no capability, and the Python installation still imports. Skipped, saying why, where
    the system offers no namespaces (macOS, a container forbidding unshare)."""
    import subprocess
    import sys

    from sim.tournament.confine import LAYERS, private_folders

    hide = private_folders([victim.parent])
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(list(hide)), str(victim.parent), str(victim)],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(sim.__file__).resolve().parent.parent)})
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    report = seen["report"]
    if report["missing"]:
        pytest.skip(f"confinement layers missing here: {report['missing']}")
    assert report["active"] == list(LAYERS)
    assert seen["entries"] in (2, [])  # ENOENT (under a hidden folder) or empty
    assert seen["victim"] == 2 and seen["parent"] == 2
    assert seen["proc"] == [str(p) for p in seen["proc"]] and len(seen["proc"]) == 1
    assert seen["network"] == 101  # ENETUNREACH: not even loopback
    assert seen["write"] in (2, 30)  # ENOENT or EROFS
    assert seen["umount"] is False
    status = seen["status"]
    assert int(status["CapEff"], 16) == 0 and int(status["CapBnd"], 16) == 0
    assert status["NoNewPrivs"] == "1"
    if os.geteuid() == 0:
        assert int(status["Uid"]) >= 2_000_000_000
    assert seen["imports"] is True


ORACLE = """
import json, sys
import sim

def _ints(value, found, depth=0):
    if isinstance(value, bool):
        return
    if isinstance(value, int) and 0 <= value < 2**64:
        found.add(value)
    elif depth < 2 and isinstance(value, (list, tuple, set, frozenset)):
        for item in list(value)[:50]:
            _ints(item, found, depth + 1)
    elif depth < 2 and isinstance(value, dict):
        for item in list(value.values())[:200]:
            _ints(item, found, depth + 1)
    elif depth < 1 and hasattr(value, "__dict__") and not isinstance(value, type):
        try:
            _ints(vars(value), found, depth + 1)
        except TypeError:
            pass

def candidates():
    found = set(range(0, 4))
    frame = sys._getframe(1)
    while frame is not None:  # the worker's frames: its _Entry, its messages, main()
        _ints(frame.f_locals, found)
        frame = frame.f_back
    for name, module in list(sys.modules.items()):
        if name.startswith(("sim.tournament", "__main__", "random")):
            _ints(vars(module), found)
    for path in ("/proc/self/cmdline", "/proc/self/environ"):
        try:
            found.update(int(w) for w in open(path).read().replace("\\0", " ").split()
                         if w.isdigit())
        except Exception:
            pass
    return sorted(found)

def replays(view, seed):
    sc = sim.Scenario.load("classroom").replace(horizon_days=view.cycle_days)
    first = []
    sim.run(sc, lambda v: first.append(v) or sim.Actions(), seed=seed, transactions="none")
    return first[0].customers.equals(view.customers)

def strategy(view):
    found = candidates()
    matched = [s for s in found[-40:] + found[:10] if replays(view, s)]
    raise RuntimeError("ORACLE" + json.dumps({"candidates": found, "matched": matched}) + "END")
"""


def test_an_entry_cannot_find_its_runs_seed_nor_replay_its_market(tmp_path):
    """The reviewer's oracle, generalised: an entry gathers every integer in the worker's
    frames, the tournament modules' globals and its own /proc entry, and replays the market
    for each. The run's seed is nowhere (workers get a one-way key), the default seed is a
    fresh one, and none of the guesses reproduces the tournament's customers; while the same
    replay with the right seed does (so the check could fail)."""
    (tmp_path / "oracle.py").write_text(ORACLE)
    result = run_tournament(tmp_path, SC, replications=1, presets=(), decision_timeout=20,
                            progress=False)
    seed = result.seeds[0]
    assert result.settings["seed"] == seed and result.settings["seed_source"].startswith("fresh")
    detail = _incidents(result, "oracle")["detail"][0]
    report = json.loads(detail[detail.index("ORACLE{") + 6: detail.index("}END") + 1])
    assert len(report["candidates"]) > 10
    assert seed not in report["candidates"] and report["matched"] == []
    namespace: dict = {}
    exec(compile(ORACLE, "oracle", "exec"), namespace)
    views = []
    sim.run(SC, lambda v: views.append(v) or sim.Actions(), seed=seed, transactions="none")
    assert namespace["replays"](views[0], seed)
    assert not any(namespace["replays"](views[0], s) for s in report["candidates"][:5])
