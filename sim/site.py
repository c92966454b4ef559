"""``make site``: executed HTML copies of the course notebooks, to read with every plot.

The notebooks are committed without outputs (clean diffs); this builds a folder a person can
open in a browser without Jupyter: every notebook executed top to bottom in a fresh kernel and
rendered to HTML, and an ``index.html`` made from the course map (``notebooks/README.md``) with
its links pointing at the rendered pages. The folder is a build artifact, never committed.

Everything is written to a temporary folder beside the target and renamed into place at the
end (:func:`sim.outputs.staged_folder`), so a failed build (a notebook that raises) leaves the
previous site as it was.

Run ``python -m sim.site [--out site] [notebook ...]``.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path

from .outputs import staged_folder

__all__ = ["build", "index_page", "render"]

ROOT = Path(__file__).resolve().parents[1]
# A markdown link to a notebook in the same folder: [text](name.ipynb#anchor). Links into
# other folders (../exercises/...) stay: the site sits beside them, as notebooks/ does.
_LOCAL = re.compile(r"\]\(([^)\s/:#]+?)\.ipynb(#[^)\s]*)?\)")
# The same in a rendered page: href="name.ipynb#anchor" and href="README.md" (the map).
_HREF = re.compile(r'href="([^"/:#]+?)\.ipynb(#[^"]*)?"')


def render(notebook: Path, timeout: int = 600) -> str:
    """Execute ``notebook`` in a fresh ``python3`` kernel (in its own folder) and return the
    HTML page.

    Parameters
    ----------
    notebook : Path
        The ``.ipynb`` file.
    timeout : int
        Most seconds a cell may run.

    Returns
    -------
    str
        A self-contained HTML page (figures embedded).
    """
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import ExecutePreprocessor

    nb = nbformat.read(notebook, as_version=4)
    ExecutePreprocessor(timeout=timeout, kernel_name="python3").preprocess(
        nb, {"metadata": {"path": str(notebook.parent)}})
    body, _ = HTMLExporter().from_notebook_node(nb)
    return body


def index_page(course_map: str, title: str = "CRM Lab: the course") -> str:
    """The site's index: the course map's markdown as HTML, notebook links to their pages.

    Parameters
    ----------
    course_map : str
        The markdown of ``notebooks/README.md``.
    title : str
        The page title.
    """
    import mistune  # nbconvert's markdown renderer, so no extra dependency

    text = _LOCAL.sub(lambda m: f"]({m.group(1)}.html{m.group(2) or ''})", course_map)
    body = mistune.create_markdown(plugins=["table"])(text)
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title>"
            "<style>body{font-family:sans-serif;max-width:72em;margin:2em auto;padding:0 1em;"
            "line-height:1.45}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
            "padding:.3em .5em;vertical-align:top}</style></head>"
            f"<body>{body}</body></html>\n")


def build(out: Path | str = ROOT / "site", notebooks=None) -> Path:
    """Render the notebooks and the index into ``out``, replacing it only once all succeeded.

    Parameters
    ----------
    out : Path or str
        The site folder; its parent is created if needed, and an earlier site there is
        replaced whole.
    notebooks : sequence of Path, optional
        Notebooks to render (default: every ``notebooks/*.ipynb``).

    Returns
    -------
    Path
        The site folder.

    Raises
    ------
    sim.outputs.OutputFolderError
        ``out`` is a file, has no name, or is the current or home folder or above them.
    """
    out = Path(out).resolve()
    paths = sorted((ROOT / "notebooks").glob("*.ipynb")) if notebooks is None else [
        Path(p).resolve() for p in notebooks]
    with staged_folder(out) as work:
        for path in paths:
            print(f"rendering {path.name} ...", flush=True)
            page = _HREF.sub(lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"',
                             render(path)).replace('href="README.md"', 'href="index.html"')
            (work / f"{path.stem}.html").write_text(page, encoding="utf-8")
        course_map = ROOT / "notebooks" / "README.md"
        (work / "index.html").write_text(index_page(course_map.read_text(encoding="utf-8")),
                                         encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.site", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "site"), help="site folder (default: site)")
    parser.add_argument("notebooks", nargs="*", help="notebooks to render (default: all)")
    args = parser.parse_args(argv)
    site = build(args.out, args.notebooks or None)
    print(f"wrote {site / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
