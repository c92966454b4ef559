"""Every validation path of ``Scenario`` (DESIGN sections 8 and 12: bad input).

Each error must be a ``sim.ScenarioError`` whose message names the field path, the bad value and
what is allowed (and the file, when the value came from one).
"""

from __future__ import annotations

import dataclasses
import math
import re
import textwrap
import typing

import numpy as np
import pytest

import sim
from sim import Scenario, ScenarioError
from sim.scenario import Segment, field_table

CLASSROOM = Scenario.load("classroom")


def error_of(func, *args, **kwargs) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        func(*args, **kwargs)
    assert isinstance(info.value, sim.CRMLabError) and isinstance(info.value, ValueError)
    return info.value


def assert_names(err: ScenarioError, *parts: str) -> None:
    message = str(err)
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


# -- types ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("key", "value", "field", "shown", "allowed"), [
    ("horizon_days", 2.5, "horizon_days", "2.5", "whole number"),
    ("service.max_agents", 3.7, "service.max_agents", "3.7", "whole number"),
    ("market_size", "1000", "market_size", "'1000'", "whole number"),
    ("market_size", True, "market_size", "True", "whole number"),
    ("service.fcr", "x", "service.fcr", "'x'", "a number"),
    ("service.fcr", True, "service.fcr", "True", "a number"),
    ("budget_per_cycle", None, "budget_per_cycle", "None", "a number"),
    ("segments.regulars.margin", [0.3], "segments[regulars].margin", "[0.3]", "a number"),
    ("segments.regulars.spend_mean", math.inf, "segments[regulars].spend_mean", "inf", "finite"),
    ("competitors.reach", math.nan, "competitors.reach", "nan", "finite"),
    ("name", 3, "name", "3", "text"),
    ("service.handle_distribution", 1, "service.handle_distribution", "1", "text"),
])
def test_type_errors(key, value, field, shown, allowed):
    err = error_of(CLASSROOM.replace, **{key: value})
    assert err.field == field
    assert_names(err, field, f"= {shown}", allowed)


def test_whole_floats_are_accepted_for_int_fields():
    sc = CLASSROOM.replace(horizon_days=730.0)
    assert sc.horizon_days == 730 and type(sc.horizon_days) is int
    sc = CLASSROOM.replace(**{"service.fcr": 1})  # an int where a float is expected
    assert sc.service.fcr == 1.0 and type(sc.service.fcr) is float


def test_numpy_scalars_are_accepted():
    """Sweeps build grids with numpy (``np.arange``, ``np.linspace``): their scalars are numbers."""
    sc = CLASSROOM.replace(market_size=np.int64(20_000), **{"service.fcr": np.float32(0.5),
                                                             "service.max_agents": np.int32(9)})
    assert sc.market_size == 20_000 and type(sc.market_size) is int
    assert sc.service.fcr == 0.5 and type(sc.service.fcr) is float
    assert sc.service.max_agents == 9


# -- ranges ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("key", "value", "field", "allowed"), [
    ("market_size", 0, "market_size", "1 to 50000000"),
    ("market_size", 50_000_001, "market_size", "1 to 50000000"),
    ("horizon_days", 36_501, "horizon_days", "1 to 36500"),
    ("initial_customers", -1, "initial_customers", ">= 0"),
    ("budget_per_cycle", -0.01, "budget_per_cycle", ">= 0"),
    ("annual_discount_rate", 1.5, "annual_discount_rate", "0 to 1"),
    ("segments.regulars.margin", -0.1, "segments[regulars].margin", "0 to 1"),
    ("segments.regulars.margin", 1.1, "segments[regulars].margin", "0 to 1"),
    ("segments.regulars.rate_shape", 0.01, "segments[regulars].rate_shape", "0.05 to 100"),
    ("segments.regulars.churn_shape", 101.0, "segments[regulars].churn_shape", "0.05 to 100"),
    ("segments.high_value.purchase_rate", 400.0, "segments[high_value].purchase_rate", "365"),
    ("service.max_agents", 0, "service.max_agents", "1 to 10000"),
    ("service.open_hours", 25.0, "service.open_hours", "24"),
    ("service.handle_cv", 6.0, "service.handle_cv", "0 to 5"),
    ("competitors.pressure", -1.0, "competitors.pressure", "0 to 100"),
    ("word_of_mouth.imitation", 21.0, "word_of_mouth.imitation", "0 to 20"),
])
def test_out_of_range(key, value, field, allowed):
    err = error_of(CLASSROOM.replace, **{key: value})
    assert err.field == field
    assert_names(err, field, f"= {value!r}", allowed)


@pytest.mark.parametrize(("key", "field", "allowed"), [
    # Open lower bounds: the bound itself is refused...
    ("segments.regulars.purchase_rate", "segments[regulars].purchase_rate", "above 0"),
    ("segments.regulars.spend_mean", "segments[regulars].spend_mean", "> 0"),
    ("segments.regulars.patience_minutes", "segments[regulars].patience_minutes", "> 0"),
    ("service.handle_minutes", "service.handle_minutes", "> 0"),
    ("service.open_hours", "service.open_hours", "above 0"),
    ("service.recontact_days", "service.recontact_days", "> 0"),
    ("satisfaction.recovery_days", "satisfaction.recovery_days", "> 0"),
    ("competitors.decay_days", "competitors.decay_days", "> 0"),
    ("mass.cost_per_contact", "mass.cost_per_contact", "> 0"),
])
def test_open_lower_bound_refuses_the_bound(key, field, allowed):
    err = error_of(CLASSROOM.replace, **{key: 0.0})
    assert err.field == field
    assert_names(err, field, "= 0.0", allowed)


# -- the CRM levers (DESIGN 3.4, 3.6): every field validated like the rest ------------------------
LEVER_SECTIONS = ("retention", "loyalty", "cross_sell", "winback", "collaboration", "people",
                  "fairness")
ALLOWED = {row["field"]: row["allowed"] for row in field_table()}


def _outside_values():
    """For each lever field: a value below its lower bound and one above its upper bound (if
    any); an open bound is itself outside."""
    hints = typing.get_type_hints(Scenario)
    for section in LEVER_SECTIONS:
        record = hints[section]
        kinds = typing.get_type_hints(record)
        for f in dataclasses.fields(record):
            meta, kind, path = f.metadata, kinds[f.name], f"{section}.{f.name}"
            step = 1 if kind is int else 0.5
            if meta["lo"] is not None:
                yield path, kind(meta["lo"]) if meta["lo_open"] else kind(meta["lo"] - step)
            if meta["hi"] is not None:
                yield path, kind(meta["hi"]) if meta["hi_open"] else kind(meta["hi"] + step)


LEVER_CASES = list(_outside_values())


def test_every_lever_field_has_a_range_case():
    fields = {path for path, _ in LEVER_CASES}
    for section in LEVER_SECTIONS:
        for f in dataclasses.fields(getattr(CLASSROOM, section)):
            assert f"{section}.{f.name}" in fields, f"{section}.{f.name} has no bound to check"


@pytest.mark.parametrize(("field", "value"), LEVER_CASES,
                         ids=[f"{p}={v!r}" for p, v in LEVER_CASES])
def test_lever_values_outside_the_range(field, value):
    err = error_of(CLASSROOM.replace, **{field: value})
    assert err.field == field
    meta = next(f.metadata for f in dataclasses.fields(getattr(CLASSROOM, field.split(".")[0]))
                if f.name == field.split(".")[1])
    assert_names(err, field, f"= {value!r}", f"must be {ALLOWED[field]}", f"({meta['unit']})")


def test_lever_bad_type_and_missing_lever_field():
    err = error_of(CLASSROOM.replace, **{"loyalty.breakage": "a quarter"})
    assert err.field == "loyalty.breakage"
    assert_names(err, "loyalty.breakage", "'a quarter'", "a number")
    err = error_of(CLASSROOM.replace, **{"cross_sell.max_products": 2.5})
    assert_names(err, "cross_sell.max_products", "= 2.5", "whole number")
    d = CLASSROOM.to_dict()
    del d["winback"]["success"]
    err = error_of(Scenario.from_dict, d)
    assert err.field == "winback.success"
    assert_names(err, "winback.success", "is missing", "probability")


def test_bad_lever_value_in_a_file_names_the_file(tmp_path):
    path = write(tmp_path, "leaky.toml", """\
        extends = "classroom"
        [loyalty]
        breakage = 1.5
        """)
    err = error_of(Scenario.load, path)
    assert err.source == "leaky.toml" and err.field == "loyalty.breakage"
    assert str(err) == "leaky.toml: loyalty.breakage: = 1.5: must be 0 to 1 (fraction)"


def test_loyalty_tiers_must_be_ordered():
    err = error_of(CLASSROOM.replace, **{"loyalty.gold_spend": 100.0})
    assert err.field == "loyalty.gold_spend"
    assert_names(err, "loyalty.gold_spend", "100", "loyalty.silver_spend", "150")
    ok = CLASSROOM.replace(**{"loyalty.gold_spend": 150.0})
    assert ok.loyalty.gold_spend == ok.loyalty.silver_spend


def test_open_upper_bound_refuses_the_bound_and_closed_bounds_accept_it():
    err = error_of(CLASSROOM.replace, **{"segments.regulars.annual_churn": 1.0})
    assert err.field == "segments[regulars].annual_churn"
    assert_names(err, "annual_churn", "= 1.0", "0 to 1 (exclusive)")
    # ... while closed bounds are allowed values.
    ok = CLASSROOM.replace(**{"segments.regulars.annual_churn": 0.0,
                              "segments.regulars.margin": 1.0, "service.open_hours": 24.0,
                              "segments.regulars.rate_shape": 0.05, "service.max_agents": 10_000})
    assert ok.segment("regulars").annual_churn == 0.0
    assert ok.service.open_hours == 24.0


def test_choices():
    err = error_of(CLASSROOM.replace, **{"service.handle_distribution": "gamma"})
    assert err.field == "service.handle_distribution"
    assert_names(err, "service.handle_distribution", "'gamma'", "'exponential'", "'lognormal'")
    ok = CLASSROOM.replace(**{"service.handle_distribution": "lognormal"})
    assert ok.service.handle_distribution == "lognormal"


# -- structure ------------------------------------------------------------------------------------
def test_shares_must_sum_to_one():
    err = error_of(CLASSROOM.replace, **{"segments.regulars.share": 0.5})
    assert err.field == "segments.share"
    assert_names(err, "segments.share", "1.1", "add up to 1")


def test_duplicate_segment_names():
    d = CLASSROOM.to_dict()
    d["segments"][1]["name"] = "high_value"
    err = error_of(Scenario.from_dict, d)
    assert err.field == "segments"
    assert_names(err, "segments", "unique", "high_value")


def test_empty_segments():
    err = error_of(CLASSROOM.replace, segments=[])
    assert err.field == "segments"
    assert_names(err, "segments", "at least one")


def test_segments_must_be_a_list_of_tables():
    d = CLASSROOM.to_dict()
    d["segments"] = {"name": "x"}
    err = error_of(Scenario.from_dict, d)
    assert_names(err, "segments", "list of tables")
    d["segments"] = [1]
    err = error_of(Scenario.from_dict, d)
    assert_names(err, "segments[0]", "= 1", "table")
    d = CLASSROOM.to_dict()
    d["service"] = 3
    err = error_of(Scenario.from_dict, d)
    assert err.field == "service"
    assert_names(err, "service", "= 3", "table")


def test_initial_customers_at_most_market_size():
    err = error_of(CLASSROOM.replace, market_size=1000, initial_customers=1001)
    assert err.field == "initial_customers"
    assert_names(err, "initial_customers", "1001", "market_size", "1000")
    assert CLASSROOM.replace(market_size=1000, initial_customers=1000).initial_customers == 1000


def test_cycle_days_at_most_horizon():
    err = error_of(CLASSROOM.replace, horizon_days=20, cycle_days=21)
    assert err.field == "cycle_days"
    assert_names(err, "cycle_days", "21", "horizon_days", "20")
    assert CLASSROOM.replace(horizon_days=20, cycle_days=20).cycle_days == 20


# -- unknown and missing fields -------------------------------------------------------------------
@pytest.mark.parametrize(("where", "typo", "field", "suggestion"), [
    ((), "market_sise", "market_sise", "market_size"),
    (("service",), "handle_minute", "service.handle_minute", "handle_minutes"),
    (("segments", 1), "purchse_rate", "segments[regulars].purchse_rate", "purchase_rate"),
])
def test_unknown_field_with_suggestion(where, typo, field, suggestion):
    d = CLASSROOM.to_dict()
    node = d
    for part in where:
        node = node[part]
    node[typo] = 1.0
    err = error_of(Scenario.from_dict, d)
    assert err.field == field
    assert_names(err, field, "unknown field", f"did you mean {suggestion!r}")


def test_unknown_field_without_a_close_match_lists_the_known_fields():
    d = CLASSROOM.to_dict()
    d["zzz"] = 1
    err = error_of(Scenario.from_dict, d)
    assert_names(err, "zzz", "unknown field", "market_size", "segments")


MINIMAL = """\
name = "mini"
description = "one segment"
sources = "test"
horizon_days = 100
cycle_days = 10
market_size = 1000
initial_customers = 100
budget_per_cycle = 10000.0
annual_discount_rate = 0.1
"""


def full_toml_without(field_line: str) -> str:
    """The classroom file with one line removed."""
    text = (sim.scenario.SCENARIO_DIR / "classroom.toml").read_text()
    lines = [ln for ln in text.splitlines() if not ln.startswith(field_line)]
    assert len(lines) == len(text.splitlines()) - 1
    return "\n".join(lines)


def test_missing_field_in_a_file(tmp_path):
    path = tmp_path / "nohorizon.toml"
    path.write_text(full_toml_without("horizon_days"))
    err = error_of(Scenario.load, path)
    assert err.field == "horizon_days" and err.source == "nohorizon.toml"
    assert_names(err, "nohorizon.toml", "horizon_days", "is missing", "days")


def test_missing_nested_field_in_a_file(tmp_path):
    path = tmp_path / "nofcr.toml"
    path.write_text(full_toml_without("fcr = "))
    err = error_of(Scenario.load, path)
    assert err.field == "service.fcr"
    assert_names(err, "nofcr.toml", "service.fcr", "is missing")


def test_missing_field_in_a_file_that_extends(tmp_path):
    # A segments list replaces the base's list whole, so each segment must be complete.
    path = write(tmp_path, "child.toml", """\
        extends = "classroom"
        [[segments]]
        name = "only"
        share = 1.0
        """)
    err = error_of(Scenario.load, path)
    assert err.source == "child.toml"
    assert err.field == "segments[only].purchase_rate"
    assert_names(err, "child.toml", "segments[only].purchase_rate", "is missing",
                 "purchases/year")


def test_missing_top_level_fields_in_a_minimal_file(tmp_path):
    path = write(tmp_path, "mini.toml", MINIMAL)
    err = error_of(Scenario.load, path)
    assert err.field == "segments"
    assert_names(err, "mini.toml", "segments", "is missing")


def test_bad_value_in_a_file_names_the_file(tmp_path):
    path = write(tmp_path, "neg.toml", """\
        extends = "classroom"
        market_size = -5
        """)
    err = error_of(Scenario.load, path)
    assert err.source == "neg.toml" and err.field == "market_size"
    assert re.match(r"neg\.toml: market_size: = -5: must be 1 to 50000000", str(err))


def test_unknown_field_in_a_file(tmp_path):
    path = write(tmp_path, "typo.toml", """\
        extends = "classroom"
        [service]
        handle_minute = 3
        """)
    err = error_of(Scenario.load, path)
    assert_names(err, "typo.toml", "service.handle_minute", "did you mean 'handle_minutes'")


# -- files ----------------------------------------------------------------------------------------
def test_bad_toml_syntax_names_the_file(tmp_path):
    path = write(tmp_path, "broken.toml", 'name = "x"\nmarket_size = [\n')
    err = error_of(Scenario.load, path)
    assert err.source == "broken.toml"
    assert_names(err, "broken.toml", "not valid TOML")


def test_unknown_scenario_name_suggests():
    err = error_of(Scenario.load, "clasroom")
    assert_names(err, "'clasroom'", "did you mean 'classroom'", "classroom")


def test_missing_file(tmp_path):
    err = error_of(Scenario.load, tmp_path / "nope.toml")
    assert_names(err, "nope.toml", "no such scenario file")
    err = error_of(Scenario.load, str(tmp_path / "nope.toml"))
    assert_names(err, "nope.toml")


def test_extends_a_missing_file(tmp_path):
    path = write(tmp_path, "orphan.toml", 'extends = "parent.toml"\n')
    err = error_of(Scenario.load, path)
    assert_names(err, "orphan.toml", "parent.toml", "no such scenario file")


def test_extends_must_be_text(tmp_path):
    path = write(tmp_path, "num.toml", "extends = 3\n")
    err = error_of(Scenario.load, path)
    assert err.field == "extends"
    assert_names(err, "num.toml", "extends", "= 3", "scenario name or path")


def test_extends_loop(tmp_path):
    write(tmp_path, "a.toml", 'extends = "b.toml"\nmarket_size = 10\n')
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    err = error_of(Scenario.load, tmp_path / "a.toml")
    assert_names(err, "a.toml", "extends", "loops")
    write(tmp_path, "self.toml", 'extends = "self.toml"\n')
    err = error_of(Scenario.load, tmp_path / "self.toml")
    assert_names(err, "self.toml", "extends", "loops")


# -- replace --------------------------------------------------------------------------------------
def test_replace_unknown_dotted_path():
    err = error_of(CLASSROOM.replace, **{"service.fcrr": 0.5})
    assert err.field == "service.fcrr"
    assert_names(err, "service.fcrr", "unknown field", "did you mean 'fcr'")
    err = error_of(CLASSROOM.replace, **{"servic.fcr": 0.5})
    assert_names(err, "servic.fcr", "'servic'", "did you mean 'service'")
    err = error_of(CLASSROOM.replace, **{"segments.regulars.purchse_rate": 3.0})
    assert_names(err, "segments.regulars.purchse_rate", "did you mean 'purchase_rate'")
    err = error_of(CLASSROOM.replace, market_sise=3)
    assert_names(err, "market_sise", "did you mean 'market_size'")


def test_replace_unknown_segment():
    err = error_of(CLASSROOM.replace, **{"segments.nobody.share": 0.5})
    assert_names(err, "segments.nobody.share", "'nobody'", "regulars", "high_value")


def test_segment_lookup_error():
    err = error_of(CLASSROOM.segment, "nobody")
    assert_names(err, "'nobody'", "regulars")


# -- positive behaviour ---------------------------------------------------------------------------
def test_load_classroom():
    sc = Scenario.load()
    assert sc == CLASSROOM and sc.name == "classroom"
    path = sim.scenario.SCENARIO_DIR / "classroom.toml"
    assert Scenario.load(path) == sc == Scenario.load(str(path))  # by name, Path or str
    assert len(sc.segments) >= 1 and len(set(sc.segment_names)) == len(sc.segments)
    assert math.fsum(s.share for s in sc.segments) == pytest.approx(1.0)
    assert "classroom" in sim.scenario.available()


def test_replace_leaves_the_original_and_revalidates():
    before = CLASSROOM.to_dict()
    changed = CLASSROOM.replace(market_size=9_000, service__fcr=0.9,
                                **{"segments.regulars.share": 0.3,
                                   "segments.high_value.share": 0.25})
    assert CLASSROOM.to_dict() == before
    assert changed.market_size == 9_000 and changed.service.fcr == 0.9
    assert changed.segment("regulars").share == 0.3
    assert changed.segment("high_value").share == 0.25
    assert changed.segment("bargain_hunters") == CLASSROOM.segment("bargain_hunters")
    # A nested table can be given as a dict: merged field by field.
    merged = CLASSROOM.replace(service={"fcr": 0.7})
    assert merged.service.fcr == 0.7
    assert merged.service.handle_minutes == CLASSROOM.service.handle_minutes
    # The copy is validated like a loaded scenario.
    error_of(changed.replace, **{"service.fcr": 2.0})
    error_of(CLASSROOM.replace, service={"fcr": -1.0})


def test_to_dict_from_dict_round_trip():
    d = CLASSROOM.to_dict()
    assert isinstance(d["segments"], list) and isinstance(d["service"], dict)
    again = Scenario.from_dict(d)
    assert again == CLASSROOM
    assert again.to_dict() == d
    assert again is not CLASSROOM


def test_extends_with_partial_overrides(tmp_path):
    write(tmp_path, "busy.toml", """\
        extends = "classroom"
        name = "busy"
        market_size = 80000
        [service]
        handle_minutes = 25.0
        """)
    sc = Scenario.load(tmp_path / "busy.toml")
    assert sc == CLASSROOM.replace(name="busy", market_size=80_000,
                                   **{"service.handle_minutes": 25.0})
    # Chains resolve paths relative to the file that names them.
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "busier.toml", """\
        extends = "../busy.toml"
        [service]
        fcr = 0.9
        """)
    sc2 = Scenario.load(tmp_path / "sub" / "busier.toml")
    assert sc2 == sc.replace(**{"service.fcr": 0.9})


def test_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        CLASSROOM.market_size = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        CLASSROOM.service.fcr = 0.1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        CLASSROOM.segments[0].share = 0.1  # type: ignore[misc]
    assert isinstance(CLASSROOM.segments, tuple)


def test_keyword_only():
    values = [getattr(CLASSROOM, f.name) for f in dataclasses.fields(Scenario)]
    with pytest.raises(TypeError):
        Scenario(*values)  # type: ignore[misc]
    seg = CLASSROOM.segments[0]
    with pytest.raises(TypeError):
        Segment(*[getattr(seg, f.name) for f in dataclasses.fields(Segment)])  # type: ignore[misc]
    # Built by keyword, the same values give the same scenario.
    kwargs = {f.name: getattr(CLASSROOM, f.name) for f in dataclasses.fields(Scenario)}
    assert Scenario(**kwargs) == CLASSROOM


def test_direct_construction_is_validated():
    seg = CLASSROOM.segments[0]
    with pytest.raises(ScenarioError, match="margin"):
        dataclasses.replace(seg, margin=2.0)
