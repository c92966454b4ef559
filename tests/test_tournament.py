"""Tournaments (issue 7, point 3): teams and presets on the same seeds, ranked with intervals.

A small tournament of the example entries (examples/tournament/) must give a sane leaderboard,
be reproducible (the same tables again, and with the teams played side by side), keep common
random numbers (a preset's rows are what ``sim.run`` gives for its seed) and be transparent: a
team's rows are what its strategy gives when run in-process, so the sandbox changes nothing
for an honest entry.
"""

from __future__ import annotations

import importlib.util
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.tournament import OBJECTIVES, TournamentResult, run_tournament, write
from sim.tournament import cli as tournament_cli
from sim.tournament.leaderboard import LEADERBOARD_COLUMNS, leaderboard
from sim.tournament.wire import view_from_payload, view_payload
from sim.view import TRUTH_KPIS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "tournament"
TEAMS = ("growth_first", "retention_first", "service_first")
PRESETS = ("transactional", "operational", "full_crm")
HORIZON = 180
SC = sim.Scenario.load("classroom").replace(horizon_days=HORIZON)
CYCLES = math.ceil(HORIZON / SC.cycle_days)


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(f"tournament_example_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ties(note: str) -> list[str]:
    """The teams a leaderboard note says a team is not significantly different from."""
    prefix = "not significantly different from "
    return note.removeprefix(prefix).split(" or ") if note.startswith(prefix) else []


@pytest.fixture(scope="module")
def result() -> TournamentResult:
    return run_tournament(EXAMPLES, "classroom", replications=2, seed=11, horizon_days=HORIZON,
                          progress=False)


def test_the_examples_play_a_full_tournament(result):
    assert result.scenario == "classroom" and result.objective == "profit"
    assert result.seeds == (11, 12)
    assert sorted(result.teams) == sorted(TEAMS)
    assert result.presets == sorted(PRESETS)
    runs = result.runs
    assert len(runs) == (len(TEAMS) + len(PRESETS)) * 2
    assert list(runs.columns[:4]) == ["team", "kind", "replication", "seed"]
    assert list(runs.columns[-3:]) == ["decisions", "fallbacks", "status"]
    assert set(sim.run(SC, sim.strategies.transactional, seed=1,
                       transactions="none").summary()) <= set(runs.columns)
    # Honest entries decide every cycle themselves.
    assert (runs["decisions"] == CYCLES).all() and (runs["fallbacks"] == 0).all()
    assert (runs["status"] == "ok").all()
    assert result.incidents.empty
    assert list(result.incidents.columns) == ["team", "replication", "cycle", "kind", "detail",
                                              "fallback"]
    tl = result.timelines
    assert list(tl.columns[:3]) == ["team", "kind", "replication"]
    assert len(tl) == len(runs) * CYCLES
    # The timelines add up to the runs' profit.
    totals = tl.groupby(["team", "replication"])["profit"].sum()
    for row in runs.itertuples():
        assert totals[(row.team, row.replication)] == pytest.approx(row.profit)
    s = result.settings
    assert s["replications"] == 2 and s["horizon_days"] == HORIZON and s["fallback"] == "last"
    assert s["seed"] == 11 and s["seed_source"] == "given"
    layers = s["confinement"]
    assert {"audit_hook", "resource_limits"} <= set(layers["active"])
    assert set(layers["layers"]) == set(layers["active"])
    assert all(isinstance(why, str) and why for why in layers["missing"].values())
    assert set(s["entries"]) == set(TEAMS)
    assert all(len(info["sha256"]) == 64 for info in s["entries"].values())
    assert "RLIMIT_AS" in s["sandbox_limits"]


def test_the_leaderboard_is_sane(result):
    board = result.leaderboard
    assert list(board.columns) == list(LEADERBOARD_COLUMNS)
    assert list(board["rank"]) == [1, 2, 3]
    assert board["mean"].is_monotonic_decreasing
    teams = result.runs[result.runs["kind"] == "team"]
    for row in board.itertuples():
        values = teams.loc[teams["team"] == row.team, "profit"].to_numpy()
        assert row.replications == 2
        assert row.mean == pytest.approx(values.mean())
        assert row.std_error == pytest.approx(values.std(ddof=1) / math.sqrt(2))
        half = stats.t.ppf(0.975, 1) * row.std_error
        assert (row.low, row.high) == pytest.approx((row.mean - half, row.mean + half))
    for upper, lower in zip(board.itertuples(), list(board.itertuples())[1:], strict=False):
        assert upper.next_team == lower.team
        # Paired on the same seeds, the mean difference is the difference of the means.
        assert upper.difference == pytest.approx(upper.mean - lower.mean)
        assert upper.difference_low <= upper.difference <= upper.difference_high
        covers = upper.difference_low <= 0 <= upper.difference_high
        assert bool(upper.significant) == (not covers)
        assert (lower.team in _ties(upper.note)) == covers
        assert (upper.team in _ties(lower.note)) == covers
    last = board.iloc[-1]
    assert last["next_team"] is None or pd.isna(last["next_team"])
    assert pd.isna(last["significant"]) and math.isnan(last["difference"])


def test_presets_keep_common_random_numbers(result):
    """A preset's rows are exactly what sim.run gives for its seed: every entry faced the
    same markets as the yardsticks."""
    runs = result.runs.set_index(["team", "replication"])
    for name in PRESETS:
        for i, seed in enumerate(result.seeds):
            expected = sim.run(SC, sim.strategies.PRESETS[name], seed=seed,
                               transactions="none").summary()
            row = runs.loc[(name, i)]
            assert row["seed"] == seed and row["kind"] == "preset"
            for kpi, value in expected.items():
                assert row[kpi] == pytest.approx(value, nan_ok=True, rel=1e-12), (name, kpi)


def test_the_sandbox_is_transparent_for_honest_entries(result):
    """A team's rows and timeline are what its strategy gives run in-process: the view the
    worker rebuilds and the actions it sends back change nothing."""
    runs = result.runs.set_index(["team", "replication"])
    tl = result.timelines
    for team in TEAMS:
        for i, seed in enumerate(result.seeds):
            # A fresh module for each run, as the worker executes the file afresh: its module
            # variables are the entry's memory of one run.
            strategy = _module(EXAMPLES / f"{team}.py").strategy
            direct = sim.run(SC, strategy, seed=seed, transactions="none")
            row = runs.loc[(team, i)]
            for kpi, value in direct.summary().items():
                assert row[kpi] == pytest.approx(value, nan_ok=True, rel=1e-12), (team, kpi)
            mine = tl[(tl["team"] == team) & (tl["replication"] == i)]
            mine = mine.drop(columns=["team", "kind", "replication"]).reset_index(drop=True)
            pd.testing.assert_frame_equal(mine, direct.timeline.reset_index(drop=True))


def test_a_tournament_is_reproducible_and_parallel_gives_the_same_tables(result):
    again = run_tournament(EXAMPLES, "classroom", replications=2, seed=11,
                           horizon_days=HORIZON, jobs=2, progress=False)
    for name in ("runs", "timelines", "incidents", "leaderboard"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(result, name), obj=name)
    assert again.seeds == result.seeds


def test_the_objective_can_be_customer_equity(result):
    board = leaderboard(result.runs, "customer_equity")
    teams = result.runs[result.runs["kind"] == "team"]
    means = teams.groupby("team")["customer_equity"].mean().sort_values(ascending=False)
    assert list(board["team"]) == list(means.index)
    assert board["mean"].to_numpy() == pytest.approx(means.to_numpy())
    assert set(OBJECTIVES) == {"profit", "customer_equity"}


def test_the_leaderboard_on_known_numbers():
    """Three teams on four seeds: A and B differ by a constant (significant however small), B
    and C by noise around zero (not significant); A beats the preset, C does not."""
    seeds = [0, 1, 2, 3]
    base = np.array([100.0, 140.0, 90.0, 130.0])
    rows = []
    for name, kind, values in [("A", "team", base + 10), ("B", "team", base),
                               ("C", "team", base + np.array([3.0, -4.0, 2.0, -2.0])),
                               ("P", "preset", base - 50)]:
        rows += [{"team": name, "kind": kind, "replication": i, "seed": s, "profit": v,
                  "fallbacks": 0} for i, (s, v) in enumerate(zip(seeds, values, strict=True))]
    board = leaderboard(pd.DataFrame(rows), "profit")
    assert list(board["team"]) == ["A", "B", "C"]
    a, b, c = (board.iloc[i] for i in range(3))
    assert a["mean"] == pytest.approx(125.0) and b["mean"] == pytest.approx(115.0)
    assert c["mean"] == pytest.approx(114.75)
    assert a["difference"] == pytest.approx(10.0)
    assert (a["difference_low"], a["difference_high"]) == pytest.approx((10.0, 10.0))
    assert bool(a["significant"]) and a["note"] == ""
    d = np.array([-3.0, 4.0, -2.0, 2.0])  # B - C, seed by seed
    half = stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2
    assert (b["difference_low"], b["difference_high"]) == pytest.approx(
        (d.mean() - half, d.mean() + half))
    assert not bool(b["significant"])
    assert b["note"] == "not significantly different from C"
    assert c["note"] == "not significantly different from B"
    assert a["beats"] == "P" and b["beats"] == "P" and c["beats"] == "P"
    one = leaderboard(pd.DataFrame(rows).query("seed == 0"), "profit")
    assert one["note"].str.startswith("fewer than 2 replications").all()
    assert one["significant"].isna().all()


def test_the_view_crosses_the_pipe_intact_without_the_truth():
    views = []
    sim.run(SC.replace(horizon_days=90), lambda v: views.append(v) or sim.Actions(), seed=3)
    for view in views:
        payload = view_payload(view)
        rows = payload["kpi_rows"]
        assert all(not set(TRUTH_KPIS) & set(row) for row in rows)
        copy = view_from_payload(payload)
        pd.testing.assert_frame_equal(copy.customers, view.customers)
        pd.testing.assert_frame_equal(copy.kpis, view.kpis)
        assert [dict(r) for r in copy.recent(3)] == [dict(r) for r in view.recent(3)]
        assert dict(copy.prices) == dict(view.prices) and copy.actions == view.actions
        assert (copy.day, copy.cycle, copy.budget, copy.n_active, copy.segments) == (
            view.day, view.cycle, view.budget, view.n_active, view.segments)
        with pytest.raises(ValueError):  # read-only, as the engine's
            copy._columns["revenue"][:1] = 0.0
    assert len(views) == 3 and len(views[-1].customers) > 0


def test_write_and_the_command_line(tmp_path, capsys):
    entries = tmp_path / "entries"
    entries.mkdir()
    shutil.copy(EXAMPLES / "service_first.py", entries / "service_first.py")
    (entries / "broken.py").write_text("def strategy(view):\n    raise ValueError('oops')\n")
    (entries / "_helper.py").write_text("raise SystemExit('skipped: starts with _')\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("replaced whole")
    import argparse

    parser = argparse.ArgumentParser(prog="python -m sim")
    sub = parser.add_subparsers(dest="command")
    tournament_cli.add_parser(sub)
    args = parser.parse_args(["tournament", str(entries), "--replications", "1",
                              "--horizon-days", "60", "--presets", "transactional",
                              "--seed", "5", "--out", str(out), "--decision-timeout", "5"])
    assert tournament_cli.main(args) == 0
    captured = capsys.readouterr()
    printed = captured.out
    assert "seed 5 is small enough for an entry to find" in captured.err
    assert "service_first" in printed and "broken" in printed and "transactional" in printed
    assert "2 x error" in printed and "ValueError: oops" in printed
    files = sorted(p.name for p in out.iterdir())
    assert files == ["incidents.csv", "leaderboard.csv", "leaderboard.md", "runs.csv",
                     "timelines.csv", "tournament.json"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left
    runs = pd.read_csv(out / "runs.csv")
    assert set(runs["team"]) == {"service_first", "broken", "transactional"}
    incidents = pd.read_csv(out / "incidents.csv")
    assert (incidents["team"] == "broken").all() and (incidents["kind"] == "error").all()
    page = (out / "leaderboard.md").read_text()
    assert "# Tournament leaderboard: classroom" in page and "## Incidents" in page
    assert "| 1 |" in page and "## Yardsticks" in page
    assert not (out / "stale.txt").exists()  # the folder was replaced whole
    meta = pd.read_json(out / "tournament.json", typ="series")
    assert meta["objective"] == "profit" and list(meta["seeds"]) == [5]
    assert "Seed 5: replay this tournament with --seed 5" in printed
    with pytest.raises(SystemExit):
        parser.parse_args(["tournament", str(entries), "--presets", "nosuch"])
    with pytest.raises(SystemExit):
        parser.parse_args(["tournament", str(entries), "--fallback", "nosuch"])
    with pytest.raises(SystemExit):
        parser.parse_args(["tournament", str(entries), "--decision-timeout", "0"])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"objective": "revenue"}, "objective = 'revenue'"),
    ({"fallback": "panic"}, "fallback = 'panic'"),
    ({"presets": ["transactional", "nosuch"]}, "presets contains 'nosuch'"),
    ({"decision_timeout": 0}, "decision_timeout = 0"),
    ({"memory_mb": 1}, "memory_mb = 1"),
    ({"max_strikes": 0}, "max_strikes = 0"),
    ({"replications": 0}, "n = 0"),
    ({"jobs": 0}, "jobs = 0"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        run_tournament(EXAMPLES, **kwargs)


def test_bad_entries_are_named(tmp_path):
    with pytest.raises(ValueError, match="no such folder"):
        run_tournament(tmp_path / "missing")
    with pytest.raises(ValueError, match="holds no team file"):
        run_tournament(tmp_path)
    (tmp_path / "full_crm.py").write_text("def strategy(view): pass\n")
    with pytest.raises(ValueError, match=r"team 'full_crm'.*name of a preset"):
        run_tournament(tmp_path)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "full_crm.py").write_text("def strategy(view): pass\n")
    with pytest.raises(ValueError, match="team 'full_crm' appears twice"):
        run_tournament([tmp_path / "full_crm.py", tmp_path / "other" / "full_crm.py"],
                       presets=())
    with pytest.raises(ValueError, match="no such file"):
        run_tournament({"ghost": tmp_path / "ghost.py"})


def test_write_replaces_a_folder_whole(result, tmp_path):
    out = tmp_path / "cup"
    write(result, out)
    (out / "extra.txt").write_text("from an older tournament")
    write(result, out)
    assert not (out / "extra.txt").exists()
    pd.testing.assert_frame_equal(pd.read_csv(out / "leaderboard.csv")[["team", "rank"]],
                                  result.leaderboard[["team", "rank"]])


def test_the_default_seed_is_fresh_printed_and_replays(tmp_path, capsys, monkeypatch):
    """Without --seed a fresh seed is drawn, printed, recorded and used for the folder name;
    giving it back replays the tournament exactly."""
    import argparse
    import json

    entries = tmp_path / "entries"
    entries.mkdir()
    shutil.copy(EXAMPLES / "growth_first.py", entries / "growth_first.py")
    monkeypatch.chdir(tmp_path)
    parser = argparse.ArgumentParser(prog="python -m sim")
    tournament_cli.add_parser(parser.add_subparsers(dest="command"))
    common = [str(entries), "--replications", "1", "--horizon-days", "30", "--presets", "none"]
    assert tournament_cli.main(parser.parse_args(["tournament", *common])) == 0
    printed = capsys.readouterr()
    folders = list((tmp_path / "reports").iterdir())
    assert len(folders) == 1
    meta = json.loads((folders[0] / "tournament.json").read_text())
    seed = meta["settings"]["seed"]
    assert meta["seeds"] == [seed] and seed >= 2**32 and folders[0].name.endswith(str(seed))
    assert meta["settings"]["seed_source"].startswith("fresh")
    assert f"replay this tournament with --seed {seed}" in printed.out
    assert "small enough" not in printed.err
    again = tmp_path / "again"
    assert tournament_cli.main(parser.parse_args(
        ["tournament", *common, "--seed", str(seed), "--out", str(again)])) == 0
    pd.testing.assert_frame_equal(pd.read_csv(again / "runs.csv"),
                                  pd.read_csv(folders[0] / "runs.csv"))
    assert tournament_cli.main(parser.parse_args(
        ["tournament", *common, "--seed", "3", "--out", str(again)])) == 0
    assert "seed 3 is small enough for an entry to find" in capsys.readouterr().err


def test_details_entries_write_are_plain_text_in_the_markdown_page(result):
    """Team names and incident details come from entries: in leaderboard.md they can neither
    break the table nor add links, HTML or emphasis."""
    from dataclasses import replace

    from sim.tournament.output import markdown

    hostile = "x|y\n# head *b* _i_ [link](http://evil) <img src=x onerror=alert(1)> `c`"
    incidents = pd.DataFrame([{"team": "growth_first", "replication": 0, "cycle": 0,
                               "kind": "error", "detail": hostile, "fallback": "f|g"}])
    page = markdown(replace(result, incidents=incidents))
    row = next(line for line in page.splitlines()
               if line.startswith("| growth\\_first | error"))
    assert row.count(" | ") == 5  # six cells, none added by the detail
    assert "<img" not in page and "&lt;img src=x onerror=alert\\(1\\)&gt;" in row
    assert "\\[link\\]\\(http://evil\\)" in row and "\\*b\\*" in row
    assert "\\# head" in row and "\\`c\\`" in row and "f\\|g" in row
