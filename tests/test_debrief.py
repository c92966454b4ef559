"""The tournament debrief: pages, numbers, prompts chosen by rules, atomic writing, bad input.

The tournament result is built here without the tournament runner: three "teams" are presets
configured differently and two presets are the yardsticks, run in process on the same three
seeds, and the tables are filled as ``sim/tournament/result.py`` documents them (the leaderboard
by hand, with a paired t interval to the next team).
"""

import argparse
import json
import math
import re
from dataclasses import replace
from html.parser import HTMLParser

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim import Scenario, run, strategies
from sim.result import KPI_INFO
from sim.tournament import debrief, debrief_cli
from sim.tournament.result import TournamentResult

matplotlib.use("Agg")

SEEDS = (11, 12, 13)
#: Teams (presets configured to show one lesson each) and the preset yardsticks.
TEAMS = {
    # Mass marketing and newcomer deals, one agent: customers pour in and out, and wait.
    "Megaphone": strategies.transactional.configure(mass_spend=20_000.0, welcome_discount=0.3),
    # A CRM system bought without training: technology without people.
    "Shiny Tools": strategies.operational.configure(training_spend=0.0),
    # A loyalty programme for everyone.
    "Points Club": strategies.loyalty,
}
PRESETS = {"operational": strategies.operational, "strategic": strategies.strategic}
INCIDENT = {"team": "Shiny Tools", "replication": 1, "cycle": 3, "kind": "timeout",
            "detail": "strategy took 2.4 s, the limit is 1.0 s",
            "fallback": "the previous cycle's actions"}


def _t_interval(values) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    if v.size < 2:
        return math.nan, math.nan
    half = stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size)
    return v.mean() - half, v.mean() + half


def _leaderboard(runs: pd.DataFrame, objective: str) -> pd.DataFrame:
    """Teams ranked by mean objective, with the paired difference to the next team, in the
    columns the tournament's leaderboard has (written here by hand, as the brief asks)."""
    wide = runs.pivot(index="replication", columns="team", values=objective)
    teams = list(dict.fromkeys(runs.loc[runs["kind"] == "team", "team"]))
    presets = list(dict.fromkeys(runs.loc[runs["kind"] == "preset", "team"]))
    order = list(wide[teams].mean().sort_values(ascending=False).index)
    rows = []
    for i, team in enumerate(order):
        v = wide[team]
        nxt = order[i + 1] if i + 1 < len(order) else None
        d = v - wide[nxt] if nxt else pd.Series(dtype=float)
        d_low, d_high = _t_interval(d)
        rows.append({
            "rank": i + 1, "team": team, "replications": len(v), "mean": v.mean(),
            "std_error": v.std(ddof=1) / math.sqrt(len(v)) if len(v) > 1 else math.nan,
            "low": _t_interval(v)[0], "high": _t_interval(v)[1], "next_team": nxt,
            "difference": d.mean() if nxt else math.nan, "difference_low": d_low,
            "difference_high": d_high,
            "significant": pd.NA if math.isnan(d_low) else bool(d_low > 0 or d_high < 0),
            "note": "", "beats": ", ".join(p for p in presets
                                           if _t_interval(v - wide[p])[0] > 0),
            "fallbacks": int(runs.loc[runs["team"] == team, "fallbacks"].sum())})
    board = pd.DataFrame(rows)
    board["significant"] = board["significant"].astype("boolean")
    for i in range(len(board)):  # neighbours the seeds cannot tell apart
        ties = [board.at[j, "team"] for j, k in ((i - 1, i - 1), (i + 1, i))
                if 0 <= j < len(board) and board.at[k, "significant"] is not pd.NA
                and not board.at[k, "significant"]]
        if ties:
            board.at[i, "note"] = f"not significantly different from {' or '.join(ties)}"
    return board


@pytest.fixture(scope="module")
def result() -> TournamentResult:
    scenario = Scenario.load("classroom").replace(horizon_days=365)
    runs, timelines = [], []
    for kind, entries in (("team", TEAMS), ("preset", PRESETS)):
        for name, strategy in entries.items():
            for rep, seed in enumerate(SEEDS):
                res = run(scenario, strategy, seed=seed, transactions="none")
                failed = name == INCIDENT["team"] and rep == INCIDENT["replication"]
                runs.append({"team": name, "kind": kind, "replication": rep, "seed": seed,
                             **res.summary(), "decisions": len(res.timeline) - failed,
                             "fallbacks": int(failed),
                             "status": INCIDENT["kind"] if failed else "ok"})
                tl = res.timeline.copy()
                tl.insert(0, "replication", rep)
                tl.insert(0, "kind", kind)
                tl.insert(0, "team", name)
                timelines.append(tl)
    runs = pd.DataFrame(runs)
    return TournamentResult(
        scenario="classroom", objective="profit", seeds=SEEDS, runs=runs,
        timelines=pd.concat(timelines, ignore_index=True),
        incidents=pd.DataFrame([INCIDENT]), leaderboard=_leaderboard(runs, "profit"),
        settings={"replications": len(SEEDS), "time_limit_seconds": 1.0,
                  "fallback": "previous actions", "version": "test"})


@pytest.fixture(scope="module")
def folder(result, tmp_path_factory):
    return debrief.write_debrief(result, tmp_path_factory.mktemp("debrief") / "out")


@pytest.fixture(scope="module")
def facts(result):
    return debrief.entry_facts(result)


def _page(folder, team=None) -> str:
    if team is None:
        return (folder / "index.html").read_text(encoding="utf-8")
    info = json.loads((folder / "debrief.json").read_text())
    return (folder / info["teams"][team]["page"]).read_text(encoding="utf-8")


def _text(page: str) -> str:
    """The page's visible text, tags removed and entities decoded, spaces collapsed."""
    import html

    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


class _Balance(HTMLParser):
    """Checks that every element opened is closed, in order."""

    VOID = frozenset({"meta", "img", "br", "hr", "link", "input"})

    def __init__(self):
        super().__init__()
        self.stack, self.errors = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


# -- the files ------------------------------------------------------------------------------------
def test_every_page_is_written_and_complete(result, folder):
    info = json.loads((folder / "debrief.json").read_text())
    pages = ["index.html"] + [info["teams"][t]["page"] for t in result.teams]
    assert sorted(p.name for p in folder.glob("*.html")) == sorted(pages)
    assert set(info["teams"]) == set(TEAMS)
    for name in pages:
        page = (folder / name).read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
        checker = _Balance()
        checker.feed(page)
        assert not checker.errors and not checker.stack, (name, checker.errors, checker.stack)
        assert "data:image/png;base64," in page  # self-contained: figures embedded
    pngs = list((folder / "figures").glob("*.png"))
    assert len(pngs) == 5 + 5 * len(TEAMS)
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    index = _page(folder)
    for team in TEAMS:
        assert f'href="{info["teams"][team]["page"]}"' in index
        assert 'href="index.html"' in _page(folder, team)
    assert not list(folder.parent.glob(".out.*")), "temporary folder left behind"


def test_leaderboard_and_numbers_come_from_the_tables(result, folder):
    index = _text(_page(folder))
    fmt = KPI_INFO["profit"][2]
    for row in result.leaderboard.itertuples():
        assert fmt.format(row.mean) in index
        assert f"{fmt.format(row.low)} to {fmt.format(row.high)}" in index
        if isinstance(row.next_team, str):
            assert (f"{fmt.format(row.difference_low)} to "
                    f"{fmt.format(row.difference_high)}") in index
        if row.note:
            assert row.note in index
    info = json.loads((folder / "debrief.json").read_text())
    runs = result.runs
    for row in result.leaderboard.itertuples():
        page = _text(_page(folder, row.team))
        assert f"Rank {row.rank} of {len(TEAMS)}" in page
        mine = runs.loc[runs["team"] == row.team, "profit"]
        assert info["teams"][row.team]["objective_mean"] == pytest.approx(mine.mean())
        assert fmt.format(mine.mean()) in page
        assert f"ranged from EUR {mine.min():,.0f} to EUR {mine.max():,.0f}" in page
        for preset in PRESETS:  # the yardsticks' numbers on every team page
            theirs = runs.loc[runs["team"] == preset, "annual_churn_rate"].mean()
            assert f"{theirs:.1%}" in page


def test_spending_by_lever_sums_the_timeline_costs(result, folder):
    tl = result.timelines
    index = _text(_page(folder))
    for team in (*TEAMS, *PRESETS):
        mine = tl[tl["team"] == team]
        per_run = mine.groupby("replication")[["cost_mass", "cost_targeted"]].sum().sum(axis=1)
        assert f"{per_run.mean():,.0f}" in index  # acquisition, EUR per run
        agents = mine.groupby("replication")["cost_agents"].sum().mean()
        assert f"{agents:,.0f}" in index
    spend = debrief.lever_spending(tl)
    levers = [c for c in spend.columns if c not in ("team", "kind", "replication")]
    goods_serve = tl.groupby(["team", "replication"])[["cost_goods", "cost_serve"]].sum()
    total = tl.groupby(["team", "replication"])["cost_total"].sum()
    both = spend.set_index(["team", "replication"])[levers].sum(axis=1)
    # Every cost is a lever or comes with the sales: nothing lost, nothing counted twice.
    assert np.allclose(both + goods_serve.sum(axis=1).reindex(both.index),
                       total.reindex(both.index))


def test_luck_and_skill_split_the_variance(result, folder):
    luck = debrief.luck_and_skill(result.runs, "profit", result.teams)
    y = result.runs[result.runs["kind"] == "team"].pivot(index="replication", columns="team",
                                                         values="profit")
    # Independent check: the interaction is what a paired comparison leaves, so the
    # residual of team + seed means; shares sum to 1.
    resid = y.sub(y.mean(axis=0), axis=1).sub(y.mean(axis=1), axis=0) + y.values.mean()
    total = ((y - y.values.mean()) ** 2).values.sum()
    assert luck["own"] == pytest.approx((resid ** 2).values.sum() / total)
    assert luck["skill"] + luck["market"] + luck["own"] == pytest.approx(1.0)
    first, second = result.teams[:2]
    assert luck["flips"] == int((y[second] > y[first]).sum())
    assert sum(luck["seed_winners"].values()) == len(SEEDS)
    index = _text(_page(folder))
    assert f"{luck['skill']:.0%} lies between teams" in index
    assert f"beat {first} on {luck['flips']} of {len(SEEDS)} seeds" in index


def test_incidents_appear_where_they_belong(folder):
    assert INCIDENT["detail"] in _text(_page(folder))
    assert INCIDENT["fallback"] in _text(_page(folder))
    assert INCIDENT["detail"] in _text(_page(folder, "Shiny Tools"))
    assert "1 by the fallback" in _text(_page(folder, "Shiny Tools"))
    for team in ("Megaphone", "Points Club"):
        page = _text(_page(folder, team))
        assert INCIDENT["detail"] not in page and "No incidents" in page


# -- prompts chosen by rules ----------------------------------------------------------------------
def test_team_prompts_follow_what_each_team_did(folder):
    info = json.loads((folder / "debrief.json").read_text())
    fired = {team: set(v["prompts"]) for team, v in info["teams"].items()}
    assert {"leaky_bucket", "service_queue", "newcomer_deals"} <= fired["Megaphone"]
    assert "technology_without_people" in fired["Shiny Tools"]
    assert "loyalty_trap" in fired["Points Club"]
    assert "loyalty_trap" not in fired["Megaphone"] | fired["Shiny Tools"]
    assert "technology_without_people" not in fired["Points Club"]
    assert not {"leaky_bucket", "newcomer_deals"} & (fired["Shiny Tools"] | fired["Points Club"])
    page = _text(_page(folder, "Megaphone"))
    assert debrief.RULES["leaky_bucket"].title in page
    assert ("See course sections 4 (Lifecycle steps) and 3 (Goals: the \"rights\"); notebooks 04 "
            "(Retain customers) and 03 (Acquire customers).") in page


def _field(**team) -> pd.DataFrame:
    """A facts table: four ordinary entries and the team "T" with the values given."""
    base = {"kind": "team", "rank": 1.0, "objective": 100_000.0, "profit": 100_000.0,
            "customer_equity": 1_000_000.0, "annual_churn_rate": 0.20,
            "mean_wait_minutes": 3.0, "service_level": 0.85, "satisfaction_end": 0.65,
            "cac": 80.0, "retention_waste_share": 0.3, "retention_wasted_cost": 100.0,
            "won_back": 50.0, "spend_acquisition": 100_000.0, "share_acquisition": 0.35,
            "spend_welcome": 0.0, "share_welcome": 0.0, "spend_loyalty": 0.0,
            "share_loyalty": 0.0, "spend_retention": 0.0, "share_retention": 0.0,
            "spend_crm_system": 36_000.0, "spend_training": 12_000.0, "adoption_end": 0.95,
            "spend_winback": 0.0, "cost_mass": 50_000.0, "close_call": False,
            "neighbour": None, "close_diff": np.nan, "close_low": np.nan, "close_high": np.nan,
            "presets_beaten": 1, "presets_significant": 0, "n_presets": 2,
            "best_preset": "p", "best_preset_gap": -1.0, "closest_preset": "p",
            "closest_margin": 1.0}
    rows = {name: dict(base) for name in ("A", "B", "C", "D")}
    rows["T"] = {**base, **team}
    facts = pd.DataFrame.from_dict(rows, orient="index")
    facts.attrs.update(objective="profit", level=0.95, seeds=5,
                       labels={k: k for k in ("acquisition", "welcome", "loyalty", "retention")})
    return facts


@pytest.mark.parametrize("rule, fires, near_miss", [
    ("leaky_bucket", {"share_acquisition": 0.6, "annual_churn_rate": 0.30},
     {"share_acquisition": 0.6, "annual_churn_rate": 0.21}),
    ("service_queue", {"mean_wait_minutes": 30.0}, {"mean_wait_minutes": 5.0}),
    ("service_queue", {"service_level": 0.6}, {"service_level": 0.8}),
    ("loyalty_trap", {"share_loyalty": 0.2, "spend_loyalty": 50_000.0},
     {"share_loyalty": 0.2, "spend_loyalty": 50_000.0, "annual_churn_rate": 0.10}),
    ("retention_waste", {"share_retention": 0.1, "retention_waste_share": 0.9},
     {"share_retention": 0.1, "retention_waste_share": 0.4}),
    ("technology_without_people", {"adoption_end": 0.1, "spend_training": 0.0},
     {"adoption_end": 0.1, "spend_crm_system": 0.0}),
    ("harvesting", {"profit": 150_000.0, "customer_equity": 800_000.0},
     {"profit": 90_000.0, "customer_equity": 800_000.0}),
    ("newcomer_deals", {"spend_welcome": 9_000.0, "satisfaction_end": 0.55},
     {"spend_welcome": 9_000.0}),
    ("mass_marketing", {"cost_mass": 100_000.0, "cac": 120.0},
     {"cost_mass": 100_000.0, "cac": 85.0}),
    ("winback_cost", {"spend_winback": 10_000.0, "won_back": 20.0},
     {"spend_winback": 1_000.0, "won_back": 20.0}),
    ("winback_cost", {"spend_winback": 500.0, "won_back": 0.0}, {"spend_winback": 0.0}),
    ("close_call", {"close_call": True, "neighbour": "A", "close_diff": 10.0,
                    "close_low": -5.0, "close_high": 25.0}, {"close_call": False}),
    ("below_presets", {"presets_beaten": 0, "best_preset_gap": -5_000.0},
     {"presets_beaten": 1}),
    ("beats_presets", {"presets_beaten": 2, "presets_significant": 2},
     {"presets_beaten": 2, "presets_significant": 1}),
])
def test_each_rule_fires_on_its_case_and_not_on_a_near_miss(rule, fires, near_miss):
    facts = _field(**fires)
    prompts = {p.rule: p for p in debrief.team_prompts(facts, "T")}
    assert rule in prompts
    assert rule not in {p.rule for p in debrief.team_prompts(_field(**near_miss), "T")}
    assert rule not in {p.rule for p in debrief.team_prompts(facts, "A")}  # an ordinary entry
    p = prompts[rule]
    assert p.sections and p.notebooks and "course section" in p.course()
    assert "nan" not in p.text.lower()


def test_an_ordinary_team_gets_no_rule_prompt():
    assert debrief.team_prompts(_field(), "A") == []


def test_a_missing_column_means_the_rule_cannot_fire():
    facts = _field(adoption_end=0.1).drop(columns="adoption_end")
    assert "technology_without_people" not in {p.rule for p in debrief.team_prompts(facts, "T")}


def test_a_rule_met_by_several_teams_becomes_a_class_pattern():
    from types import SimpleNamespace

    leaky = {"share_acquisition": 0.6, "annual_churn_rate": 0.30}
    facts = _field(**leaky)
    tournament = SimpleNamespace(teams=["T", "A", "B", "C", "D"], presets=[], objective="profit")
    no_luck = {"skill": math.nan}
    rules = {p.rule for p in debrief.class_prompts(tournament, facts, no_luck)}
    assert "pattern_leaky_bucket" not in rules  # one team is not a pattern
    facts.loc["A", list(leaky)] = list(leaky.values())
    patterns = {p.rule: p for p in debrief.class_prompts(tournament, facts, no_luck)}
    assert "2 teams (T, A)" in patterns["pattern_leaky_bucket"].text
    assert "winner_lever" in patterns  # T, ranked first here, spent differently


def test_every_prompt_points_at_a_real_section_and_notebook():
    from pathlib import Path

    from sim.glossary import SECTIONS

    course_map = (Path(__file__).resolve().parents[1] / "notebooks" / "README.md").read_text()
    for number, title in debrief.NOTEBOOKS.items():
        assert re.search(rf"\| {number} \| \[{re.escape(title)}\]", course_map), number
    for rule in debrief.RULES.values():
        assert set(rule.sections) <= set(SECTIONS) and rule.sections
        assert set(rule.notebooks) <= set(debrief.NOTEBOOKS) and rule.notebooks
    for lever in debrief.LEVERS.values():
        assert lever.section in SECTIONS and lever.notebook in debrief.NOTEBOOKS


def test_class_prompts_rest_on_the_data(result, facts, folder):
    luck = debrief.luck_and_skill(result.runs, result.objective, result.teams)
    prompts = {p.rule: p for p in debrief.class_prompts(result, facts, luck)}
    assert {"luck_vs_skill", "winner_lever", "yardsticks"} <= set(prompts)
    best = max(PRESETS, key=lambda p: facts.at[p, "objective"])
    above = sum(facts.at[t, "objective"] > facts.at[best, "objective"] for t in TEAMS)
    assert f"{above} of {len(TEAMS)} teams beat the best preset, {best}" in \
        prompts["yardsticks"].text
    index = _text(_page(folder))
    for p in prompts.values():
        assert p.title in index


# -- writing and reading ---------------------------------------------------------------------------
def test_a_failure_midway_leaves_the_old_debrief_untouched(result, tmp_path, monkeypatch):
    out = tmp_path / "debrief"
    out.mkdir()
    (out / "index.html").write_text("previous debrief")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full while writing a team page")

    monkeypatch.setattr(debrief, "_team_page", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        debrief.write_debrief(result, out)
    assert (out / "index.html").read_text() == "previous debrief"
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["debrief"], "temporary files left"


def test_bad_input_gets_a_clear_error(result, tmp_path):
    with pytest.raises(ValueError, match=r"objective = 'revenue'.*profit, customer_equity"):
        debrief.write_debrief(replace(result, objective="revenue"), tmp_path / "x")
    with pytest.raises(ValueError, match="runs is empty"):
        debrief.write_debrief(replace(result, runs=result.runs.iloc[:0]), tmp_path / "x")
    with pytest.raises(ValueError, match=r"'Ghosts' is in result\.leaderboard but not in"):
        board = result.leaderboard.copy()
        board.loc[0, "team"] = "Ghosts"
        debrief.write_debrief(replace(result, leaderboard=board), tmp_path / "x")
    with pytest.raises(ValueError, match="timelines has no column 'satisfaction'"):
        debrief.write_debrief(replace(result, timelines=result.timelines.drop(
            columns="satisfaction")), tmp_path / "x")
    assert not list(tmp_path.iterdir()), "nothing is written for bad input"


def _subset(result, *, teams=None, presets=None, replications=None):
    """The fixture's tournament cut down to some teams, presets and replications."""
    keep_teams = list(TEAMS) if teams is None else teams
    keep = keep_teams + (list(PRESETS) if presets is None else presets)
    reps = list(range(len(SEEDS))) if replications is None else replications

    def cut(table):
        return table[table["team"].isin(keep) & table["replication"].isin(reps)]

    runs = cut(result.runs).reset_index(drop=True)
    return replace(result, seeds=tuple(SEEDS[r] for r in reps), runs=runs,
                   timelines=cut(result.timelines), incidents=cut(result.incidents),
                   leaderboard=_leaderboard(runs, result.objective))


@pytest.mark.parametrize("shape", ["one team on one seed", "two teams, no presets"])
def test_small_tournaments_still_get_a_debrief(result, tmp_path, shape):
    cut = {"one team on one seed": {"teams": ["Points Club"], "replications": [0]},
           "two teams, no presets": {"teams": ["Megaphone", "Points Club"], "presets": []}}
    small = _subset(result, **cut[shape])
    # A name that is HTML and a matplotlib formula at once: shown as typed, never run.
    odd = "<b>Points</b> & $Club$"
    small = replace(small, **{name: getattr(small, name).replace({"team": {"Points Club": odd}})
                              for name in ("runs", "timelines", "incidents", "leaderboard")})
    folder = debrief.write_debrief(small, tmp_path / "d")
    index = _page(folder)
    assert "&lt;b&gt;Points&lt;/b&gt; &amp; $Club$" in index and "<b>Points</b>" not in index
    pages = [_text(_page(folder, team)) for team in small.teams]
    for page in (_text(index), *pages):
        assert not re.search(r"\bnan\b", page, re.IGNORECASE)
    assert all(f"of {len(small.teams)} ranked by profit" in page for page in pages)
    if shape == "one team on one seed":
        assert "cannot be split into skill and luck" in _text(index)
        assert "one seed: no interval" in pages[0]
    else:
        assert "lies between teams" in _text(index)
        assert "Against the presets" not in index  # no yardstick prompt without presets
        assert "below_presets" not in (folder / "debrief.json").read_text()


def test_a_bad_confidence_level_is_refused(result, tmp_path):
    with pytest.raises(ValueError, match=r"settings\['level'\] = 95"):
        debrief.write_debrief(replace(result, settings={"level": 95}), tmp_path / "x")


def _save(result, folder):
    """The folder a tournament writes (sim.tournament.output.write): tables and metadata."""
    folder.mkdir()
    for name, file in debrief_cli.TABLES.items():
        getattr(result, name).to_csv(folder / file, index=False)
    (folder / "tournament.json").write_text(json.dumps(
        {"scenario": result.scenario, "objective": result.objective,
         "seeds": list(result.seeds), "settings": result.settings}))


def test_the_tournament_folder_reads_back_to_the_same_debrief_numbers(result, facts, tmp_path):
    results = tmp_path / "results"
    _save(result, results)
    back = debrief_cli.read_result(results)
    assert back.seeds == result.seeds and back.settings == result.settings
    assert (back.scenario, back.objective) == (result.scenario, result.objective)
    assert back.teams == result.teams and back.presets == result.presets
    again = debrief.entry_facts(back)
    pd.testing.assert_frame_equal(again, facts, check_dtype=False)
    assert debrief.luck_and_skill(back.runs, "profit", back.teams) == \
        debrief.luck_and_skill(result.runs, "profit", result.teams)


def test_the_debrief_command(result, tmp_path, capsys):
    results = tmp_path / "results"
    _save(_subset(result, teams=["Points Club"], presets=["operational"]), results)
    parser = argparse.ArgumentParser()
    debrief_cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["debrief", str(results), "--title", "Group B, week 9"])
    assert debrief_cli.main(args) == 0
    assert "1 team page," in capsys.readouterr().out
    index = (results / "debrief" / "index.html").read_text(encoding="utf-8")
    assert "<h1>Group B, week 9</h1>" in index
    assert (results / "debrief" / "team-points-club.html").is_file()


def test_reading_a_bad_folder_names_what_is_missing(result, tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        debrief_cli.read_result(tmp_path / "nowhere")
    results = tmp_path / "results"
    _save(result, results)
    (results / "tournament.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"tournament\.json not found"):
        debrief_cli.read_result(results)
    # A flat settings.json will do too, and the seeds then come from runs.csv.
    (results / "settings.json").write_text(json.dumps({"scenario": "classroom"}))
    with pytest.raises(ValueError, match="no key 'objective'"):
        debrief_cli.read_result(results)
    (results / "settings.json").write_text(json.dumps({"scenario": "classroom",
                                                       "objective": "profit", "level": 0.9}))
    back = debrief_cli.read_result(results)
    assert back.seeds == result.seeds and back.settings == {"level": 0.9}
    (results / "timelines.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"timelines\.csv not found"):
        debrief_cli.read_result(results)


def test_team_pages_have_unique_safe_names():
    pages = debrief._slugs(["Öğrenci Takımı", "ogrenci takimi", "گروه", "A/B", "Łódź"])
    assert pages == {"Öğrenci Takımı": "team-ogrenci-takimi.html",
                     "ogrenci takimi": "team-ogrenci-takimi-2.html",
                     "گروه": "team-3.html", "A/B": "team-a-b.html", "Łódź": "team-lodz.html"}
