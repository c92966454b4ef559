"""The report folder and the figures behind it."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim import Scenario, plots, report, run, strategies

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def result():
    small = Scenario.load("classroom").replace(market_size=8000, initial_customers=800,
                                               horizon_days=200)
    return run(small, strategies.operational, seed=3)


def test_interrupted_report_leaves_the_old_one_untouched(result, tmp_path, monkeypatch):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "summary.md").write_text("previous report")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full while drawing")

    monkeypatch.setattr(plots, "dashboard", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        report.write(result, out)
    assert (out / "summary.md").read_text() == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"], "temporary files left"


def test_report_contents(result, tmp_path):
    folder = report.write(result, tmp_path / "a" / "b")
    assert folder == tmp_path / "a" / "b"
    md = (folder / "summary.md").read_text()
    for label in ("Annual churn rate", "Profit", "Mean wait for service", "Customer equity"):
        assert label in md
    assert f"--seed {result.seed}" in md


@pytest.mark.parametrize("name", ["active_customers", "flows", "money", "service_waits",
                                  "kpi_timeline"])
def test_plot_functions_return_labelled_axes(result, name):
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    out = getattr(plots, name)(result, ax=ax)
    assert out is ax
    assert ax.get_xlabel() == "day"
    assert ax.get_ylabel()
    assert ax.get_title()


#: Figures of a result that are not drawn against days, with a word each x label must hold.
OTHER_AXES = {"clv_distribution": "EUR", "lorenz": "% of customers", "rfm_grid": "recency",
              "retention_curves": "months", "cohort_heatmap": "cycles",
              "survival_curves": "years"}


@pytest.mark.parametrize("name", sorted(OTHER_AXES))
def test_analytic_plots_draw_data_with_labelled_axes(result, name):
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    assert getattr(plots, name)(result, ax=ax) is ax
    assert OTHER_AXES[name] in ax.get_xlabel()
    assert ax.get_ylabel() and ax.get_title()
    assert ax.lines or ax.patches or ax.images or ax.collections  # something was drawn


def test_every_public_plot_is_tested():
    tested = {"active_customers", "flows", "money", "service_waits", "kpi_timeline",
              "dashboard", "active_by_segment", "strategy_comparison", *OTHER_AXES}
    assert set(plots.__all__) == tested


def test_kpi_timeline_rejects_unknown_columns(result):
    with pytest.raises(ValueError, match=r"'profitt'.*timeline"):
        plots.kpi_timeline(result, "profitt")


@pytest.fixture(scope="module")
def runs():
    """Replicated runs of two strategies (the tidy table an experiment produces)."""
    small = Scenario.load("classroom").replace(market_size=6000, initial_customers=600,
                                               horizon_days=120)
    rows = []
    for strategy in (strategies.transactional, strategies.operational):
        for seed in range(4):
            r = run(small, strategy, seed=seed)
            rows.append({"strategy": r.strategy, "seed": seed, **r.summary()})
    return pd.DataFrame(rows)


def test_comparison_table_is_the_paired_t_interval(runs):
    """Hand check: the difference and interval are those of the paired differences by seed."""
    table = report.comparison_table(runs, ["profit"], baseline="transactional")
    row = table[table["strategy"] == "operational"].iloc[0]
    wide = runs.pivot(index="seed", columns="strategy", values="profit")
    d = (wide["operational"] - wide["transactional"]).to_numpy()
    half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
    assert row["difference"] == pytest.approx(d.mean())
    assert (row["low"], row["high"]) == pytest.approx((d.mean() - half, d.mean() + half))
    assert row["significant"] == (abs(d.mean()) > half)
    own = wide["operational"].to_numpy()
    assert row["mean_half_width"] == pytest.approx(
        stats.t.ppf(0.975, own.size - 1) * own.std(ddof=1) / np.sqrt(own.size))
    base = table[table["strategy"] == "transactional"].iloc[0]
    assert np.isnan(base["difference"]) and base["mean"] == pytest.approx(wide["transactional"]
                                                                          .mean())
    with pytest.raises(ValueError, match="baseline = 'nobody'"):
        report.comparison_table(runs, baseline="nobody")


def test_strategy_comparison_plot(runs):
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    assert plots.strategy_comparison(runs, "profit", ax=ax, baseline="transactional") is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == ["operational"]
    assert "paired" in ax.get_xlabel()
    ax = Figure().subplots()
    plots.strategy_comparison(runs, "annual_churn_rate", ax=ax)
    assert len(ax.patches) == 2
    with pytest.raises(ValueError, match="no column 'nope'"):
        plots.strategy_comparison(runs, "nope")


RUN_SECTIONS = ("Key performance indicators", "Campaigns", "Customers", "Money", "Service",
                "Value and concentration", "Retention", "Calibration sources")


def test_html_report_is_self_contained_with_every_section(result, tmp_path):
    folder = report.write(result, tmp_path / "rep")
    page = (folder / "report.html").read_text()
    md = (folder / "summary.md").read_text()
    figures = sorted(p.name for p in (folder / "figures").iterdir())
    assert len(figures) >= 10
    # Every figure is embedded, none is linked: the page can be mailed or projected alone.
    assert page.count('<img src="data:image/png;base64,') == len(figures)
    assert "figures/" not in page
    for section in RUN_SECTIONS:
        if section == "Campaigns" and not len(result.campaigns):
            continue
        assert f"<h2>{section}" in page, section
    for section in RUN_SECTIONS[2:]:
        assert f"## {section}" in md, section
    for name in figures:
        assert f"(figures/{name})" in md
    assert f"--seed {result.seed}" in page


def test_comparison_report(runs, tmp_path):
    folder = report.write(runs, tmp_path / "cmp", baseline="transactional")
    page = (folder / "report.html").read_text()
    md = (folder / "comparison.md").read_text()
    assert "4 replications" in page
    for label in ("Profit", "Customer equity", "Annual churn rate"):
        assert f"<h2>{label}" in page and f"## {label}" in md
    assert "significant" in page and "baseline" in page
    assert page.count("data:image/png;base64,") == len(list((folder / "figures").iterdir()))
    pd.testing.assert_frame_equal(pd.read_csv(folder / "runs.csv")[["strategy", "seed"]],
                                  runs[["strategy", "seed"]])


def test_plot_without_axes_makes_a_figure(result):
    import matplotlib.pyplot as plt

    ax = plots.money(result)
    assert ax.figure is not None
    plt.close(ax.figure)


def test_dashboard_draws_four_panels_and_reuses_a_figure(result):
    fig = plots.dashboard(result)
    assert len(fig.axes) >= 4
    again = plots.dashboard(result, fig=fig)
    assert again is fig
    assert result.strategy in fig._suptitle.get_text()


def test_active_by_segment_adds_up_to_the_timeline(result):
    counts = plots.active_by_segment(result)
    total = sum(counts.values())
    assert list(total) == result.timeline["active_end"].tolist()


def test_no_global_matplotlib_state_changed(result):
    before = dict(matplotlib.rcParams)
    plots.dashboard(result)
    assert dict(matplotlib.rcParams) == before
