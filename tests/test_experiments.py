"""Replications and paired comparisons (sim.experiments, DESIGN section 10).

The tables must not depend on who runs them (serially, a process pool, any executor), every
row must say what produced it, and a comparison must pair strategies by seed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim import Actions, Scenario, experiments, report, run, strategies

SMALL = Scenario.load("classroom").replace(market_size=5_000, initial_customers=600,
                                           horizon_days=150)


def test_replicate_rows_are_the_runs_on_consecutive_seeds():
    table = experiments.replicate(SMALL, strategies.transactional, n=3, seed=5, progress=False)
    assert table["seed"].tolist() == [5, 6, 7]
    assert (table["scenario"] == SMALL.name).all()
    assert (table["strategy"] == "transactional").all()
    for row in table.itertuples():
        summary = run(SMALL, strategies.transactional, seed=row.seed).summary()
        assert row.profit == summary["profit"]
        assert row.customers_active_end == summary["customers_active_end"]


def test_the_table_is_the_same_serial_on_a_process_pool_and_on_any_executor():
    """Each run depends only on its seed, so who runs it does not matter (and the presets'
    per-run memory survives being sent to workers)."""
    chosen = [strategies.transactional, strategies.winback]
    serial = experiments.compare(SMALL, chosen, n=3, progress=False).runs
    pooled = experiments.compare(SMALL, chosen, n=3, jobs=2, progress=False).runs
    with ThreadPoolExecutor(max_workers=2) as pool:
        threaded = experiments.compare(SMALL, chosen, n=3, executor=pool, progress=False).runs
    pd.testing.assert_frame_equal(serial, pooled)
    pd.testing.assert_frame_equal(serial, threaded)


def test_compare_pairs_by_seed_and_reports_the_paired_interval():
    chosen = [strategies.transactional, strategies.operational]
    cmp = experiments.compare(SMALL, chosen, n=4, seed=2, progress=False)
    runs = cmp.runs
    assert cmp.baseline == "transactional"
    assert runs["strategy"].tolist() == ["transactional"] * 4 + ["operational"] * 4
    by = runs.pivot(index="seed", columns="strategy", values="profit")
    assert by.index.tolist() == [2, 3, 4, 5]  # the same seeds for both: paired
    d = (by["operational"] - by["transactional"]).to_numpy()
    half = stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2.0
    row = cmp.table[(cmp.table["kpi"] == "profit") & (cmp.table["strategy"] == "operational")]
    assert row["difference"].item() == pytest.approx(d.mean())
    assert row["low"].item() == pytest.approx(d.mean() - half)
    # Each not-significant difference gets a note naming it.
    notes = cmp.notes()
    assert len(notes) == len(cmp.not_significant)
    for note, kpi in zip(notes, cmp.not_significant["kpi"], strict=True):
        assert kpi in note and "not significant" in note


def test_a_named_baseline_and_chosen_kpis():
    chosen = [strategies.transactional, strategies.operational]
    cmp = experiments.compare(SMALL, chosen, n=2, baseline="operational", progress=False,
                              kpis=["revenue", "service_level"])
    base = cmp.table[cmp.table["strategy"] == "operational"]
    assert base["difference"].isna().all()
    assert cmp.table["kpi"].unique().tolist() == ["revenue", "service_level"]
    with pytest.raises(ValueError, match="kpis contains 'proft'"):
        experiments.Comparison(cmp.runs, "operational", kpis=("proft",))


def test_the_report_of_a_comparison_keeps_its_level_and_kpis(tmp_path):
    cmp = experiments.compare(SMALL, [strategies.transactional, strategies.operational], n=3,
                              progress=False, level=0.9, kpis=["revenue"])
    folder = report.write(cmp, tmp_path / "cmp")
    md = (folder / "comparison.md").read_text()
    assert "90% confidence intervals" in md and "95%" not in md
    assert "## Revenue" in md and "## Profit" not in md
    row = cmp.table[cmp.table["strategy"] == "operational"].iloc[0]
    low = f"{row['low']:,.0f}"
    assert low in md  # the 90% interval of cmp.table, not a 95% one recomputed


def test_pairing_refuses_two_runs_of_one_strategy_and_seed():
    cmp = experiments.compare(SMALL, [strategies.transactional, strategies.operational], n=2,
                              progress=False)
    twice = pd.concat([cmp.runs, cmp.runs.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match="more than one row for strategy 'transactional'"):
        experiments.Comparison(twice, "transactional")


def test_a_kpi_missing_in_every_run_of_one_strategy_reads_nan_not_an_error():
    runs = pd.DataFrame({"strategy": ["a", "a", "b", "b"], "seed": [0, 1, 0, 1],
                         "acceptance": [np.nan, np.nan, 0.2, 0.3]})
    table = experiments.Comparison(runs, "a", kpis=("acceptance",)).table.set_index("strategy")
    assert np.isnan(table.loc["a", "mean"]) and table.loc["a", "runs"] == 0
    assert table.loc["b", "mean"] == pytest.approx(0.25)
    assert np.isnan(table.loc["b", "difference"])  # nothing to pair with


def notebook_strategy(view):
    return Actions(mass_spend=4_000.0)


def test_clear_errors():
    with pytest.raises(ValueError, match="n = 0"):
        experiments.replicate(SMALL, strategies.transactional, n=0)
    with pytest.raises(ValueError, match="seed = -1"):
        experiments.replicate(SMALL, strategies.transactional, n=1, seed=-1)
    with pytest.raises(ValueError, match="'transactional' more than once"):
        experiments.compare(SMALL, [strategies.transactional, strategies.transactional], n=1)
    with pytest.raises(ValueError, match="baseline = 'nobody'"):
        experiments.compare(SMALL, [strategies.transactional], n=1, baseline="nobody")
    with pytest.raises(ValueError, match="either executor= or jobs="):
        experiments.replicate(SMALL, strategies.transactional, n=1, jobs=2,
                              executor=ThreadPoolExecutor())
    lam = lambda view: Actions()  # noqa: E731 (a lambda cannot be pickled: that is the point)
    with pytest.raises(TypeError, match="cannot be sent to worker processes"):
        experiments.replicate(SMALL, lam, n=2, jobs=2, progress=False)
    # A module-level function travels fine.
    table = experiments.replicate(SMALL, notebook_strategy, n=2, jobs=2, progress=False)
    assert table["strategy"].eq("notebook_strategy").all()
    assert np.isfinite(table["profit"]).all()


def test_compare_on_the_command_line(tmp_path):
    small = tmp_path / "small.toml"
    small.write_text('extends = "classroom"\nname = "small"\nmarket_size = 4000\n'
                     "initial_customers = 500\nhorizon_days = 120\n")
    out = tmp_path / "cmp"
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "compare", "--scenario", str(small), "--strategies",
         "transactional,operational", "--replications", "3", "--seed", "4", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "MPLBACKEND": "Agg", "TQDM_DISABLE": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "3 paired replications (seeds 4-6)" in proc.stdout
    assert "operational" in proc.stdout and "significant" in proc.stdout
    runs = pd.read_csv(out / "runs.csv")
    assert runs["seed"].tolist() == [4, 5, 6, 4, 5, 6]
    assert "<h2>Profit" in (out / "report.html").read_text()
    bad = subprocess.run([sys.executable, "-m", "sim", "compare", "--strategies", "nope"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown 'nope'" in bad.stderr


def test_sweep_crosses_scenario_fields_and_strategy_parameters_on_common_seeds():
    grid = {"budget_per_cycle": [20_000.0, 30_000.0], "strategy.mass_spend": [2_000.0, 6_000.0]}
    table = experiments.sweep(SMALL, strategies.transactional, grid, n=2, seed=3, progress=False)
    assert len(table) == 2 * 2 * 2
    assert list(table.columns[:2]) == ["budget_per_cycle", "strategy.mass_spend"]
    assert set(table["seed"]) == {3, 4}
    # A row is exactly the run it describes.
    row = table.iloc[5]
    sc = SMALL.replace(budget_per_cycle=row["budget_per_cycle"])
    st = strategies.transactional.configure(mass_spend=row["strategy.mass_spend"])
    assert row["strategy"] == st.name
    assert row["profit"] == run(sc, st, seed=int(row["seed"])).summary()["profit"]
    # More mass marketing wins more customers on the same seeds.
    wide = table.pivot_table(index=["budget_per_cycle", "seed"], columns="strategy.mass_spend",
                             values="customers_acquired")
    assert (wide[6_000.0] > wide[2_000.0]).all()


def test_sweep_validates_every_point_before_running():
    with pytest.raises(ValueError, match="grid is empty"):
        experiments.sweep(SMALL, strategies.transactional, {})
    with pytest.raises(ValueError, match="non-empty list"):
        experiments.sweep(SMALL, strategies.transactional, {"budget_per_cycle": 5.0})
    with pytest.raises(Exception, match="budget_per_cycle"):
        experiments.sweep(SMALL, strategies.transactional, {"budget_per_cycle": [-1.0]})
    with pytest.raises(ValueError, match="grid: transactional has no parameter 'nope'"):
        experiments.sweep(SMALL, strategies.transactional, {"strategy.nope": [1]})
    with pytest.raises(ValueError, match="only presets take parameters"):
        experiments.sweep(SMALL, notebook_strategy, {"strategy.mass_spend": [1.0]})


def test_replicate_until_stops_when_the_interval_is_narrow_enough():
    wide = experiments.replicate_until(SMALL, strategies.transactional, "profit", 1e12,
                                       min_n=3, progress=False)
    assert len(wide) == 3 and wide.attrs["converged"]
    # An unreachable target stops at max_n, says so, and the runs are replicate()'s.
    hard = experiments.replicate_until(SMALL, strategies.transactional, "profit", 1e-9,
                                       min_n=3, max_n=7, batch=2, progress=False)
    assert len(hard) == 7 and not hard.attrs["converged"]
    assert hard["seed"].tolist() == list(range(7))
    v = hard["profit"].to_numpy()
    half = stats.t.ppf(0.975, 6) * v.std(ddof=1) / np.sqrt(7)
    assert hard.attrs["half_width"] == pytest.approx(half)
    again = experiments.replicate(SMALL, strategies.transactional, 7, progress=False)
    pd.testing.assert_frame_equal(hard, again)
    with pytest.raises(ValueError, match="not a KPI"):
        experiments.replicate_until(SMALL, strategies.transactional, "proft", 1.0)


def test_the_same_experiment_on_a_local_dask_cluster():
    """DESIGN section 10: a dask.distributed client's executor runs the same experiment and
    gives the same table as a serial run and a local process pool."""
    distributed = pytest.importorskip("distributed")
    chosen = [strategies.transactional, strategies.analytical]
    serial = experiments.compare(SMALL, chosen, n=2, progress=False).runs
    pooled = experiments.compare(SMALL, chosen, n=2, jobs=2, progress=False).runs
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_cluster = experiments.compare(SMALL, chosen, n=2, executor=client.get_executor(),
                                         progress=False).runs
    pd.testing.assert_frame_equal(serial, pooled)
    pd.testing.assert_frame_equal(serial, on_cluster)


def test_sweep_on_the_command_line(tmp_path):
    (tmp_path / "small.toml").write_text(
        'extends = "classroom"\nname = "small"\nmarket_size = 4000\ninitial_customers = 500\n'
        "horizon_days = 120\n")
    grid = tmp_path / "budgets.toml"
    grid.write_text('scenario = "small.toml"\nstrategy = "transactional"\nreplications = 2\n'
                    'seed = 1\n[grid]\n"strategy.mass_spend" = [2000.0, 6000.0]\n')
    out = tmp_path / "sweep"
    env = {**os.environ, "MPLBACKEND": "Agg", "TQDM_DISABLE": "1"}
    proc = subprocess.run([sys.executable, "-m", "sim", "sweep", str(grid), "--out", str(out)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Swept 2 grid points x 2 replications" in proc.stdout
    runs = pd.read_csv(out / "runs.csv")
    assert runs["point"].tolist() == ["mass_spend=2000.0"] * 2 + ["mass_spend=6000.0"] * 2
    assert runs["seed"].tolist() == [1, 2, 1, 2]
    assert "mass_spend=6000.0" in (out / "report.html").read_text()
    grid.write_text('strategy = "transactional"\n[grid]\n"strategy.nope" = [1]\n')
    bad = subprocess.run([sys.executable, "-m", "sim", "sweep", str(grid)], capture_output=True,
                         text=True, timeout=120, env=env)
    assert bad.returncode == 2 and "no parameter 'nope'" in bad.stderr
    assert "Traceback" not in bad.stderr
