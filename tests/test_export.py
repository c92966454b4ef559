"""Export for researchers: Result.to_csv / to_parquet / Result.load, and the transactions table
as the per-customer summary input of lifetimes and PyMC-Marketing (DESIGN section 7)."""

import json
import math

import numpy as np
import pandas as pd
import pytest

import sim
from sim import Result, Scenario, run, strategies
from sim.analytics.rfm import summary_data
from sim.errors import ScenarioError
from sim.result import RUN_FILE

SMALL = dict(market_size=10_000, initial_customers=1_500, horizon_days=365)
WRITERS = {"csv": Result.to_csv, "parquet": Result.to_parquet}


@pytest.fixture(scope="module")
def result():
    # full_crm makes retention, cross-sell and win-back offers, so the campaigns table has rows
    # and its nullable would_have_left has NA; with self-service and e-mail offered as well,
    # channel_contacts has rows, and with a sales rep (on a larger budget) rep_visits too; the
    # scenario is a variant of a shipped one, so its name alone would not bring it back.
    def online(view):
        return strategies.full_crm(view).replace(self_service=True, email_service=True,
                                                 sales_reps=1)

    online.__name__ = "full_crm_online"
    return run(Scenario.load("classroom").replace(**SMALL, budget_per_cycle=60_000.0), online,
               seed=3)


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


def _expected_files(ext):
    return sorted([f"{name}.{ext}" for name in Result.TABLES] + [RUN_FILE])


def _same_kpis(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)


def test_the_run_has_every_hard_case(result):
    """Guards the tests below: the types CSV loses must actually occur in the run."""
    cp, truth = result.campaigns, result.truth
    assert len(cp) > 0 and set(cp["campaign"]) == {"retention", "cross_sell", "winback"}
    assert cp["would_have_left"].isna().any() and cp["would_have_left"].notna().any()
    assert (truth["loss_reason"] == "").any(), "no customer without a loss reason"
    assert set(result.channel_contacts["channel"]) == {"web", "email"}
    assert len(result.rep_visits) > 0 and result.rep_visits["converted"].any()
    assert (result.customers["lost_day"].isna()).any()
    assert result.scenario != Scenario.load("classroom")
    channel = result.customers["channel"]
    assert set(channel.cat.categories) - set(channel), "no unused category to keep"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_every_table_and_the_run_file_are_written(tmp_path, result, fmt):
    paths = WRITERS[fmt](result, tmp_path / "out")
    assert [p.name for p in paths] == [f"{n}.{fmt}" for n in Result.TABLES] + [RUN_FILE]
    assert _files(tmp_path / "out") == _expected_files(fmt), "temporary files left"


def test_run_file_holds_provenance_schema_and_the_whole_scenario(tmp_path, result):
    result.to_csv(tmp_path / "c")
    result.to_parquet(tmp_path / "p")
    text = (tmp_path / "c" / RUN_FILE).read_text()
    assert text == (tmp_path / "p" / RUN_FILE).read_text(), "run.json depends on the format"
    info = json.loads(text)
    assert info["scenario_name"] == "classroom"
    assert info["strategy"] == result.strategy == "full_crm_online"
    assert info["seed"] == 3
    assert info["sim_version"] == sim.__version__
    assert Scenario.from_dict(info["scenario"]) == result.scenario
    assert info["scenario"]["market_size"] == 10_000
    for name in Result.TABLES:
        table = getattr(result, name)
        assert info["tables"][name]["rows"] == len(table)
        assert list(info["tables"][name]["columns"]) == list(table.columns)
    assert info["tables"]["truth"]["categories"]["loss_reason"]["values"] == list(
        result.truth["loss_reason"].cat.categories)


def test_parquet_tables_read_back_exactly(tmp_path, result):
    result.to_parquet(tmp_path)
    for name in Result.TABLES:
        back = pd.read_parquet(tmp_path / f"{name}.parquet")
        # Exact: same dtypes, categories in the same order (unused ones too), same floats.
        pd.testing.assert_frame_equal(back, getattr(result, name), check_exact=True)
    assert isinstance(pd.read_parquet(tmp_path / "customers.parquet")["channel"].dtype,
                      pd.CategoricalDtype)


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """What a CSV keeps of a table: values as text-or-number, and "" as missing."""
    out = table.copy()
    for col in out:
        if isinstance(out[col].dtype, pd.CategoricalDtype) or out[col].dtype == "boolean":
            values = out[col].astype(object)
            out[col] = values.where(values.notna() & (values != ""), np.nan)
    return out


def test_csv_keeps_every_value_and_loses_only_these_types(tmp_path, result):
    result.to_csv(tmp_path)
    for name in Result.TABLES:
        table = getattr(result, name)
        back = pd.read_csv(tmp_path / f"{name}.csv")
        lost = {c for c in table if back[c].dtype != table[c].dtype}
        # CSV has no types: categoricals come back as text, a nullable boolean with missing
        # values as objects. Integers, floats and plain booleans keep their dtype.
        assert lost == {c for c in table if isinstance(table[c].dtype, pd.CategoricalDtype)
                        or table[c].dtype == "boolean"}, name
        # Values: pandas writes each float's shortest round-trip repr; its default parser may
        # be off in the last bit, hence rtol 1e-15 (doubles carry ~16 significant digits).
        pd.testing.assert_frame_equal(back, _plain(table), check_dtype=False, rtol=1e-15,
                                      atol=0)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_load_gives_back_the_same_result(tmp_path, result, fmt):
    WRITERS[fmt](result, tmp_path)
    back = Result.load(tmp_path)
    for name in Result.TABLES:
        pd.testing.assert_frame_equal(getattr(back, name), getattr(result, name),
                                      check_exact=True)
    assert back.scenario == result.scenario  # the variant, not the shipped "classroom"
    assert (back.strategy, back.seed) == (result.strategy, result.seed)
    assert _same_kpis(back.summary(), result.summary())


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_an_empty_table_keeps_its_columns_and_categories(tmp_path, fmt):
    # operational makes no offers: campaigns has no rows, and a Parquet file without rows has
    # nowhere to keep categories, so Result.load takes them from run.json.
    quiet = run(Scenario.load("classroom").replace(**SMALL), strategies.operational, seed=1)
    assert len(quiet.campaigns) == 0
    WRITERS[fmt](quiet, tmp_path)
    back = Result.load(tmp_path)
    for name in Result.TABLES:
        pd.testing.assert_frame_equal(getattr(back, name), getattr(quiet, name),
                                      check_exact=True)


def test_load_picks_the_format_asked_for(tmp_path, result):
    result.to_csv(tmp_path)
    result.to_parquet(tmp_path)
    (tmp_path / "service.csv").unlink()
    assert len(Result.load(tmp_path).service) == len(result.service)  # auto: Parquet
    with pytest.raises(FileNotFoundError, match=r"service\.csv"):
        Result.load(tmp_path, fmt="csv")
    with pytest.raises(ValueError, match="fmt='xlsx'"):
        Result.load(tmp_path, fmt="xlsx")


def test_load_refuses_what_it_cannot_trust(tmp_path, result):
    with pytest.raises(FileNotFoundError, match=r"run\.json"):
        Result.load(tmp_path)
    result.to_csv(tmp_path)
    # A table from another run: fewer rows than run.json records.
    result.transactions.head(10).to_csv(tmp_path / "transactions.csv", index=False)
    with pytest.raises(ValueError, match="mixes files"):
        Result.load(tmp_path)
    result.to_csv(tmp_path)
    info = json.loads((tmp_path / RUN_FILE).read_text())
    info["scenario"]["market_size"] = -1
    (tmp_path / RUN_FILE).write_text(json.dumps(info))
    with pytest.raises(ScenarioError, match=r"market_size.*scenario=None"):
        Result.load(tmp_path)
    assert Result.load(tmp_path, scenario=None).scenario is None


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_failed_write_leaves_no_partial_file(tmp_path, result, monkeypatch, fmt):
    method = f"to_{fmt}"
    real = getattr(pd.DataFrame, method)
    written = []

    def half_then_fail(self, path, *args, **kwargs):
        written.append(path)
        if len(written) == 3:  # the third table: service
            with open(path, "wb") as fh:
                fh.write(b"half a tab")
            raise OSError("disk full")
        return real(self, path, *args, **kwargs)

    old = tmp_path / "old"
    WRITERS[fmt](result, old)
    before = (old / f"service.{fmt}").read_bytes()
    monkeypatch.setattr(pd.DataFrame, method, half_then_fail)
    for folder in (old, tmp_path / "new"):
        with pytest.raises(OSError, match="disk full"):
            WRITERS[fmt](result, folder)
        assert written[2].name != f"service.{fmt}", "written under the final name"
        written.clear()
        assert not list(folder.glob("*.tmp")), "temporary file left"
    # An existing complete file stays as it was; a new folder has no service table and no
    # run.json (written last), so Result.load refuses it.
    assert (old / f"service.{fmt}").read_bytes() == before
    assert _files(tmp_path / "new") == [f"customers.{fmt}", f"transactions.{fmt}"]
    monkeypatch.undo()
    with pytest.raises(FileNotFoundError):
        Result.load(tmp_path / "new")


def rfm_reference(transactions: pd.DataFrame, end_day: float) -> pd.DataFrame:
    """Per-customer summary in lifetimes' sense, days as the period (Fader, Hardie & Lee 2005).

    frequency = days with purchases after the first one (repeat purchases); recency = last
    minus first purchase day; T = ``end_day`` minus first purchase day; monetary_value = mean
    amount of the repeat-purchase days, 0 without repeats. Assumes one row per customer and
    day, as the transaction log has.
    """
    by = transactions.groupby("customer_id")
    first, last = by["day"].min(), by["day"].max()
    frequency = by["day"].nunique() - 1
    first_amount = transactions.loc[by["day"].idxmin()].set_index("customer_id")["amount"]
    repeat_amount = by["amount"].sum() - first_amount
    monetary = (repeat_amount / frequency.where(frequency > 0)).fillna(0.0)
    return pd.DataFrame({"frequency": frequency, "recency": last - first,
                         "T": end_day - first, "monetary_value": monetary})


def test_rfm_reference_on_a_hand_example():
    tx = pd.DataFrame({"customer_id": [1, 1, 1, 2], "day": [0, 4, 10, 5],
                       "amount": [10.0, 20.0, 30.0, 7.0], "purchases": [1, 2, 1, 1]})
    got = rfm_reference(tx, end_day=20)
    assert got.loc[1].tolist() == [2, 10, 20, 25.0]  # repeats on days 4 and 10: (20 + 30) / 2
    assert got.loc[2].tolist() == [0, 0, 15, 0.0]


def test_transactions_load_unchanged_into_a_per_customer_summary(tmp_path, result):
    result.to_csv(tmp_path)
    result.to_parquet(tmp_path)
    tx = result.transactions
    # Plain readers, no help from run.json: the log comes back unchanged.
    for back in (pd.read_csv(tmp_path / "transactions.csv"),
                 pd.read_parquet(tmp_path / "transactions.parquet")):
        pd.testing.assert_frame_equal(back, tx, rtol=1e-15, atol=0)
    # The input shape the summaries need: one row per customer and purchase day, whole days
    # within the run, positive amounts.
    assert not tx.duplicated(["customer_id", "day"]).any()
    assert tx["day"].dtype.kind == "i" and tx["day"].between(0, SMALL["horizon_days"] - 1).all()
    assert (tx["amount"] > 0).all() and (tx["purchases"] >= 1).all()

    # The last day observed (lifetimes' observation_period_end is a date inside the window).
    end = result.scenario.horizon_days - 1
    rfm = rfm_reference(pd.read_csv(tmp_path / "transactions.csv"), end)
    pd.testing.assert_frame_equal(rfm, rfm_reference(tx, end), rtol=1e-15, atol=0)
    # The package's own summary agrees (sums in another order: a few ulps).
    pd.testing.assert_frame_equal(rfm.astype(float), summary_data(tx, end).astype(float),
                                  rtol=1e-12, atol=0)
    # Checked against the customers table, recorded separately by the engine.
    cu = result.customers.set_index("customer_id").loc[rfm.index]
    np.testing.assert_array_equal(rfm["recency"], cu["last_purchase_day"]
                                  - cu["first_purchase_day"])
    np.testing.assert_array_equal(rfm["T"], end - cu["first_purchase_day"])
    assert (rfm["frequency"] + 1 <= cu["purchases"]).all()
    first_day = tx.sort_values("day", kind="stable").groupby("customer_id")["amount"].first()
    spent = rfm["monetary_value"] * rfm["frequency"] + first_day
    # Summing in another order: relative error a few ulps times the ~100 days summed.
    np.testing.assert_allclose(spent, cu["revenue"], rtol=1e-12)
    assert (result.customers.loc[~result.customers["customer_id"].isin(rfm.index),
                                 "purchases"] == 0).all()
    assert (rfm["frequency"] > 0).mean() > 0.5, "too few repeat buyers to test anything"
