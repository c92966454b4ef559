"""The command line end to end: runs, reports, listings and every error exit."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=None):
    """Run ``python -m sim`` in a subprocess, as a user would."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "report"
    proc = cli("run", "--scenario", "classroom", "--strategy", "transactional", "--seed", "7",
               "--out", str(out))
    return proc, out


def test_run_writes_a_complete_report(report):
    proc, out = report
    assert proc.returncode == 0, proc.stderr
    assert "Report written to" in proc.stdout and str(out) in proc.stdout
    names = {p.name for p in out.iterdir()}
    assert names == {"summary.md", "summary.json", "dashboard.png", "customers.csv",
                     "transactions.csv", "service.csv", "timeline.csv", "truth.csv",
                     "campaigns.csv", "channel_contacts.csv", "rep_visits.csv", "run.json",
                     "report.html", "figures"}
    assert (out / "report.html").read_text().count("data:image/png;base64,") >= 10
    summary = json.loads((out / "summary.json").read_text())
    assert summary["provenance"]["seed"] == 7
    assert summary["provenance"]["strategy"] == "transactional"
    assert summary["kpis"]["customers_start"] == 5000
    assert summary["units"]["revenue"] == "EUR"
    assert (out / "dashboard.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (out / "summary.md").read_text()
    assert "--seed 7" in md and "Revenue" in md and "Calibration sources" in md
    timeline = pd.read_csv(out / "timeline.csv")
    assert timeline["revenue"].sum() == pytest.approx(summary["kpis"]["revenue"])
    assert not list(out.parent.glob(".*tmp")), "temporary folder left behind"


def test_same_seed_same_report_numbers(report, tmp_path):
    _, first = report
    proc = cli("run", "--strategy", "transactional", "--seed", "7", "--out", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    a = json.loads((first / "summary.json").read_text())["kpis"]
    b = json.loads((tmp_path / "r" / "summary.json").read_text())["kpis"]
    assert a == b


def test_run_replaces_an_existing_report_whole(tmp_path):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "stale.txt").write_text("from an older run")
    assert main(["run", "--seed", "1", "--out", str(out)]) == 0
    assert not (out / "stale.txt").exists()
    assert (out / "summary.json").exists()


def test_default_out_folder_names_scenario_strategy_seed(tmp_path):
    proc = cli("run", "--seed", "3", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "reports" / "classroom-operational-3" / "summary.json").exists()


def test_fresh_seed_is_printed_for_replay(tmp_path):
    proc = cli("run", "--out", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    seed = json.loads((tmp_path / "r" / "summary.json").read_text())["provenance"]["seed"]
    assert f"seed {seed}" in proc.stdout


def test_scenarios_lists_names_and_descriptions():
    proc = cli("scenarios")
    assert proc.returncode == 0
    assert "classroom" in proc.stdout and "prospects" in proc.stdout


def test_scenarios_fields_documents_units_and_ranges():
    proc = cli("scenarios", "--fields")
    assert proc.returncode == 0
    assert "service.handle_minutes" in proc.stdout and "[minutes]" in proc.stdout
    assert "segments[].annual_churn" in proc.stdout


def _field_blocks(text: str) -> tuple[str, dict[str, str]]:
    """``scenarios --fields`` output as its header and {field: its lines, whitespace collapsed}.

    Each field starts a line at column 0; its default and source follow on indented lines.
    """
    header, _, body = text.partition("\n\n")
    blocks: dict[str, list[str]] = {}
    for line in body.splitlines():
        if line and not line[0].isspace():
            blocks[line.split()[0]] = [line]
        elif line.strip():
            blocks[next(reversed(blocks))].append(line)
    return " ".join(header.split()), {name: " ".join(" ".join(lines).split())
                                      for name, lines in blocks.items()}


def test_scenarios_fields_lists_every_field_with_default_and_source(capsys):
    from sim.scenario import field_table

    assert main(["scenarios", "--fields"]) == 0
    _, blocks = _field_blocks(capsys.readouterr().out)
    rows = field_table()
    assert list(blocks) == [row["field"] for row in rows]
    for row in rows:
        block = blocks[row["field"]]
        assert f"default: {' '.join(row['default'].split())}" in block
        assert f"source: {' '.join(row['source'].split())}" in block


@pytest.mark.parametrize(("field", "parts"), [
    ("loyalty.breakage", ["share of issued rewards never redeemed", "[fraction]",
                          "allowed: 0 to 1", "default: 0.25",
                          "source: industry estimates of breakage 20-30%"]),
    ("retention.acceptance", ["[probability]", "allowed: 0 to 1", "default: 0.6",
                              "source: teaching assumption"]),
    ("loyalty.rate_lift", ["[fraction]", "allowed: 0 to 5", "default: 0.08", "Liu (2007)"]),
    ("winback.decay_days", ["[days]", "allowed: > 0", "default: 120.0", "teaching assumption"]),
    ("people.training_scale", ["[EUR/cycle]", "allowed: > 0", "default: 3000.0",
                               "SOURCE-DIGEST 2"]),
    ("cross_sell.max_products", ["[products]", "allowed: 1 to 100", "default: 4"]),
    ("fairness.welcome_response", ["[dimensionless]", "allowed: 0 to 50", "default: 2.0"]),
    ("segments[].annual_churn", ["[probability/year]", "0 to 1 (exclusive)",
                                 "default: high_value 0.1, regulars 0.18, bargain_hunters 0.35, "
                                 "high_maintenance 0.25", "Thomas, Blattberg & Fox (2004)"]),
    ("service.handle_distribution", ["allowed: one of 'exponential', 'lognormal'",
                                     "default: 'exponential'", "Erlang C"]),
])
def test_scenarios_fields_prints_unit_range_default_and_source(capsys, field, parts):
    assert main(["scenarios", "--fields"]) == 0
    out = capsys.readouterr().out
    header, blocks = _field_blocks(out)
    assert "default (the value in the classroom scenario" in header
    block = blocks[field]
    for part in parts:
        assert part in block, (part, block)
    lines = [line for line in out.splitlines() if line.startswith(" ")]
    assert lines and all(len(line) <= 100 for line in lines), "wrap default and source lines"


def test_help_and_version():
    proc = cli("--help")
    assert proc.returncode == 0 and "run" in proc.stdout and "scenarios" in proc.stdout
    proc = cli("run", "--help")
    assert proc.returncode == 0 and "--scenario" in proc.stdout and "--seed" in proc.stdout
    assert cli("--version").stdout.startswith("CRM Lab ")


def _assert_clean_error(proc, *fragments):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines, "no error message"
    for fragment in fragments:
        assert fragment in proc.stderr, (fragment, proc.stderr)


def test_unknown_scenario(tmp_path):
    _assert_clean_error(cli("run", "--scenario", "clasroom", "--out", str(tmp_path / "x")),
                        "clasroom", "did you mean 'classroom'")
    assert not (tmp_path / "x").exists()


def test_bad_toml_names_the_file(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("horizon_days = = 3\n")
    _assert_clean_error(cli("run", "--scenario", str(bad)), "broken.toml", "not valid TOML")


def test_invalid_value_names_file_field_value_and_range(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "classroom"\n[service]\nfcr = 1.7\n')
    proc = cli("run", "--scenario", str(bad), "--out", str(tmp_path / "never"))
    _assert_clean_error(proc, "bad.toml", "service.fcr", "1.7", "0 to 1")
    assert not (tmp_path / "never").exists()


def test_unknown_field_suggests(tmp_path):
    bad = tmp_path / "typo.toml"
    bad.write_text('extends = "classroom"\nhorizon_dayz = 30\n')
    _assert_clean_error(cli("run", "--scenario", str(bad)), "typo.toml", "horizon_dayz",
                        "did you mean 'horizon_days'")


def test_missing_file():
    _assert_clean_error(cli("run", "--scenario", "no/such/file.toml"), "no/such/file.toml")


def test_bad_seed_and_unknown_strategy():
    _assert_clean_error(cli("run", "--seed", "-1"), "--seed", ">= 0")
    _assert_clean_error(cli("run", "--seed", "abc"), "--seed")
    _assert_clean_error(cli("run", "--strategy", "magic"), "magic", "transactional")


def test_no_command_prints_help_and_exits_2():
    proc = cli()
    assert proc.returncode == 2 and "usage" in proc.stdout.lower()


def test_a_custom_scenario_file_runs(tmp_path):
    small = tmp_path / "small.toml"
    small.write_text('extends = "classroom"\nname = "small"\nmarket_size = 3000\n'
                     'initial_customers = 300\nhorizon_days = 90\n')
    out = tmp_path / "r"
    proc = cli("run", "--scenario", str(small), "--seed", "5", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / "summary.json").read_text())["scenario"]["market_size"] == 3000


def test_run_at_scale_without_a_transaction_log(tmp_path, capsys):
    out = tmp_path / "small"
    assert main(["run", "--scale", "0.2", "--transactions", "none", "--seed", "3",
                 "--strategy", "transactional", "--out", str(out)]) == 0
    assert "x0.2" in capsys.readouterr().out  # the scaled scenario's name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kpis"]["customers_start"] == 1_000  # 5,000 x 0.2
    assert len(pd.read_csv(out / "transactions.csv")) == 0
    assert len(pd.read_csv(out / "customers.csv")) > 1_000


def test_bad_scale_and_transactions():
    _assert_clean_error(cli("run", "--scale", "0"), "--scale", "> 0")
    _assert_clean_error(cli("run", "--scale", "big"), "--scale")
    _assert_clean_error(cli("run", "--transactions", "some"), "--transactions", "compact")


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "--seed", "-1"], "--seed '-1': must be a whole number >= 0"),
    (["run", "--scale", "0"], "--scale '0': must be a number > 0"),
    (["compare", "--strategies", "operational", "--jobs", "two"],
     "--jobs 'two': must be a whole number >= 1"),
    (["exercises", "grade", "subs", "--timeout", "0"],
     "--timeout '0': must be a number of seconds > 0"),
    (["tournament", "entries", "--replications", "1.5"],
     "--replications '1.5': must be a whole number >= 1"),
    (["compare", "--strategies", "operational", "--replications", "-" + "9" * 400],
     "must be a whole number >= 1"),
])
def test_bad_numbers_are_named_with_what_is_allowed(argv, message, capsys):
    from sim.cli import _parser

    with pytest.raises(SystemExit) as exit_:
        _parser().parse_args(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
