"""``make site``: executed HTML pages of the notebooks and an index from the course map."""

import nbformat
import pytest

from sim import site


def _notebook(path, source):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A page\n[map](README.md) [next](next.ipynb)"),
                nbformat.v4.new_code_cell(source)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


def test_the_index_is_the_course_map_with_links_to_the_pages():
    page = site.index_page("| # | Notebook |\n| --- | --- |\n| 00 | [Start](00_start.ipynb) |\n"
                           "See [exercise](../exercises/00_first_run.ipynb).")
    assert '<a href="00_start.html">Start</a>' in page
    assert 'href="../exercises/00_first_run.ipynb"' in page  # beside the site, as in the repo
    assert "<table>" in page and page.startswith("<!DOCTYPE html>")


def test_a_build_executes_each_notebook_and_replaces_the_site_only_when_all_ran(tmp_path):
    good = _notebook(tmp_path / "good.ipynb", "print(6 * 7)")
    out = site.build(tmp_path / "site", [good])
    page = (out / "good.html").read_text(encoding="utf-8")
    assert "42" in page  # executed, not only converted
    assert 'href="index.html"' in page and 'href="next.html"' in page
    assert (out / "index.html").exists()
    bad = _notebook(tmp_path / "bad.ipynb", "raise RuntimeError('broken cell')")
    with pytest.raises(Exception, match="broken cell"):
        site.build(tmp_path / "site", [good, bad])
    assert sorted(p.name for p in out.iterdir()) == ["good.html", "index.html"]  # untouched
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []
