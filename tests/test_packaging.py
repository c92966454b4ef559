"""The conda/Binder environment and the pip project declare the same packages (DESIGN 11)."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = re.compile(r"^\s*-\s*([A-Za-z0-9_.\-]+)\s*([<>=!~]=?\s*[0-9][^\s#]*)?")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pip_requirements() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = data["project"]["dependencies"] + data["project"]["optional-dependencies"]["dev"]
    out = {}
    for req in reqs:
        m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", req)
        out[_normalise(m.group(1))] = m.group(2).replace(" ", "")
    return out


def _conda_requirements() -> dict[str, str]:
    out = {}
    in_deps = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        if in_deps and line and not line.startswith((" ", "-", "#")):
            break
        m = SPEC.match(line) if in_deps else None
        if m:
            out[_normalise(m.group(1))] = (m.group(2) or "").replace(" ", "")
    return out


def test_environment_yml_matches_pyproject():
    pip, conda = _pip_requirements(), _conda_requirements()
    conda.pop("pip", None)
    python = conda.pop("python", None)
    assert python == "=3.11", "environment.yml must pin python=3.11 (the course's Python)"
    missing = sorted(set(pip) - set(conda))
    extra = sorted(set(conda) - set(pip))
    assert not missing, f"in pyproject.toml but not environment.yml: {missing}"
    assert not extra, f"in environment.yml but not pyproject.toml: {extra}"
    differ = {k: (pip[k], conda[k]) for k in pip if pip[k] != conda[k]}
    assert not differ, f"lower bounds differ (pyproject, environment.yml): {differ}"


def test_runtime_dependencies_have_lower_bounds():
    for name, spec in _pip_requirements().items():
        assert spec.startswith(">="), f"{name} needs a lower bound (>=), has {spec!r}"


def test_binder_postbuild_installs_the_package():
    text = (ROOT / "postBuild").read_text()
    assert "pip install --no-deps -e ." in text


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert readme.index("make demo") < readme.index("conda env create")


def test_shipped_scenarios_are_packaged():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "scenarios/*.toml" in data["tool"]["setuptools"]["package-data"]["sim"]
