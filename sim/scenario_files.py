"""Scenario files: shipped TOML scenarios by name, any TOML by path, and ``extends``."""

from __future__ import annotations

import copy
import difflib
import tomllib
from pathlib import Path

from .errors import ScenarioError

__all__ = ["SCENARIO_DIR", "available", "read"]

SCENARIO_DIR = Path(__file__).with_name("scenarios")


def available() -> dict[str, str]:
    """Shipped scenarios: name -> one-line description."""
    out = {}
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        out[path.stem] = str(data.get("description", ""))
    return out


def _resolve(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    text = str(name_or_path)
    path = Path(text)
    looks_like_path = path.suffix == ".toml" or "/" in text or "\\" in text
    if looks_like_path:
        if relative_to is not None and not path.is_absolute():
            path = relative_to / path
        if not path.is_file():
            raise ScenarioError(f"no such scenario file: {text}", field=None)
        return path
    shipped = SCENARIO_DIR / f"{text}.toml"
    if shipped.is_file():
        return shipped
    names = list(available())
    near = difflib.get_close_matches(text, names, n=1)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    raise ScenarioError(
        f"unknown scenario {text!r}{hint} (shipped: {', '.join(names)}; or give a .toml path)"
    )


def _deep_merge(base: dict, top: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def read(name_or_path, *, seen: tuple, relative_to: Path | None = None) -> tuple[dict, str]:
    path = _resolve(name_or_path, relative_to)
    source = path.name
    if path.resolve() in seen:
        raise ScenarioError("'extends' chain loops back to this file", source=source)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"is not valid TOML ({err})", source=source) from None
    except OSError as err:
        raise ScenarioError(f"cannot be read ({err.strerror})", source=source) from None
    parent = data.pop("extends", None)
    if parent is not None:
        if not isinstance(parent, str):
            raise ScenarioError(f"= {parent!r}: must be a scenario name or path", field="extends",
                                source=source)
        try:
            base, _ = read(parent, seen=(*seen, path.resolve()), relative_to=path.parent)
        except ScenarioError as err:
            raise err if err.source else err.with_source(source) from None
        data = _deep_merge(base, data)
    return data, source


