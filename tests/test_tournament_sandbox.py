"""Tournaments (issue 7, point 4): untrusted entries stay contained.

One tournament plays an honest team against a gallery of hostile entries: an infinite loop, a
memory bomb, exceptions, reading another team's file, writing, starting processes, the network,
killing the tournament, reaching for the truth, garbage answers, files that do not load. For
each: the tournament finishes, the incident is recorded with the right kind, the fallback
decided the cycles, and the honest team's runs are exactly what they are without the others.
"""

from __future__ import annotations

import json
import math
import shutil
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.tournament import run_tournament
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


def test_a_background_thread_is_stopped_by_the_cpu_backstop():
    """An entry that leaves a thread spinning after it answered is killed when its worker's
    CPU time runs out; the next cycle reports it and restarts the worker."""
    from sim.tournament.sandbox import Sandbox
    from sim.tournament.wire import view_payload

    views = []
    sim.run(SC.replace(horizon_days=60), lambda v: views.append(v) or sim.Actions(), seed=1)
    source = ("import threading\nimport sim\n\ndef spin():\n    while True:\n        pass\n\n"
              "def strategy(view):\n    threading.Thread(target=spin, daemon=True).start()\n"
              "    return sim.Actions()\n")
    sandbox = Sandbox("spinner", source, decision_timeout=5, memory_mb=256, cpu_seconds=1)
    try:
        first = sandbox.decide(1, lambda customers: view_payload(views[0], customers=customers))
        assert first.failure is None and first.actions["agents"] == 1
        deadline = time.monotonic() + 20
        while sandbox.alive and time.monotonic() < deadline:
            time.sleep(0.1)
        second = sandbox.decide(1, lambda customers: view_payload(views[1],
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


@pytest.mark.parametrize(("team", "kind", "detail"), [
    ("garbage_text", "invalid", "strategy returned str 'spend it all'"),
    ("garbage_spend", "invalid", "Actions.mass_spend = -1000.0: must be a number >= 0"),
    ("garbage_keys", "invalid", "Actions has no field 'bribe'"),
    ("garbage_ids", "invalid", "Actions.retention_offers contains 1000000000: no such customer"),
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
