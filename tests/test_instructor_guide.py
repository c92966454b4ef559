"""The instructor guide's examples work: its scenario file loads, its commands parse, its links
and make targets exist. A guide whose example fails is worse than none."""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path

import pytest

from sim import Scenario
from sim.cli import _parser

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "instructors.md"
TEXT = GUIDE.read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", TEXT, flags=re.S | re.M)


def _commands() -> list[str]:
    """Every `python -m sim ...` command of the guide, in code blocks and inline code."""
    found = []
    for block in _blocks("bash"):
        found += [line.split("#")[0].strip() for line in block.splitlines()]
    found += re.findall(r"`(python -m sim [^`]+)`", TEXT)
    return sorted({c for c in found if c.startswith("python -m sim ")})


def test_the_scenario_example_loads_and_changes_what_it_says(tmp_path):
    (block,) = _blocks("toml")
    path = tmp_path / "bank.toml"
    path.write_text(block, encoding="utf-8")
    bank, classroom = Scenario.load(path), Scenario.load("classroom")
    assert bank.name == "bank"
    assert bank.horizon_days == 730
    # The comments claim longer calls and fewer price wars than the classroom market.
    assert bank.service.handle_minutes > classroom.service.handle_minutes
    assert bank.competitors.waves_per_year < classroom.competitors.waves_per_year
    assert bank.segments == classroom.segments  # the rest comes from the extended scenario


@pytest.mark.parametrize("command", _commands())
def test_every_command_parses(command):
    argv = shlex.split(command)[3:]  # after "python -m sim"
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse reports the problem on stderr
        pytest.fail(f"the guide's command does not parse: {command} (exit {exc.code})")
    assert args.command == argv[0]


def test_the_guide_covers_every_subcommand_it_should():
    commands = {shlex.split(c)[3] for c in _commands()}
    assert {"scenarios", "run", "compare", "exercises", "tournament", "debrief"} <= commands


def test_links_point_at_files():
    for target in re.findall(r"\]\((\.\./[^)#]+)", TEXT):
        assert (GUIDE.parent / target).resolve().exists(), f"broken link in the guide: {target}"


def test_make_targets_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in set(re.findall(r"make (\w+)", TEXT)):
        assert re.search(rf"^{target}:", makefile, flags=re.M), f"no make target {target!r}"


def test_the_class_plan_adds_up_to_90_minutes():
    rows = re.findall(r"^\| (\d+)-(\d+) \|", TEXT, flags=re.M)
    spans = [(int(a), int(b)) for a, b in rows]
    assert spans[0][0] == 0 and spans[-1][1] == 90
    assert all(b == a2 for (_, b), (a2, _) in itertools.pairwise(spans))
