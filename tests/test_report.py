"""The report folder and the figures behind it."""

import matplotlib
import pytest

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


@pytest.mark.parametrize("name", ["active_customers", "flows", "money", "service_waits"])
def test_plot_functions_return_labelled_axes(result, name):
    from matplotlib.figure import Figure

    ax = Figure().subplots()
    out = getattr(plots, name)(result, ax=ax)
    assert out is ax
    assert ax.get_xlabel() == "day"
    assert ax.get_ylabel()
    assert ax.get_title()


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
