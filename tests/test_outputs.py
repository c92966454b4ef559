"""sim.outputs.staged_folder: an output folder appears whole or not at all."""

import os
import stat
import sys
from pathlib import Path

import pytest

from sim.errors import CRMLabError
from sim.outputs import OutputFolderError, staged_folder

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions and links")


def _tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path -> content)."""
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def _old_output(folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True)
    (folder / "summary.md").write_text("old report")
    (folder / "figures").mkdir()
    (folder / "figures" / "a.png").write_text("old figure")
    return _tree(folder)


def test_a_new_folder_appears_with_what_was_written_and_nothing_beside_it(tmp_path):
    target = tmp_path / "rep"
    with staged_folder(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".rep.")
        assert tmp.name.endswith(".tmp") and not list(tmp.iterdir())
        assert not target.exists(), "the target appears only at the end"
        (tmp / "summary.md").write_text("new report")
    assert _tree(target) == {"summary.md": "new report"}
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]


@posix_only
def test_the_folder_is_readable_by_others_not_private_as_mkdtemp_makes_it(tmp_path):
    with staged_folder(tmp_path / "rep") as tmp:
        (tmp / "a.txt").write_text("x")
    assert stat.S_IMODE((tmp_path / "rep").stat().st_mode) == 0o755


def test_an_existing_folder_is_replaced_whole(tmp_path):
    target = tmp_path / "rep"
    _old_output(target)
    with staged_folder(target) as tmp:
        assert _tree(target)["summary.md"] == "old report", "untouched while writing"
        (tmp / "summary.md").write_text("new report")
    assert _tree(target) == {"summary.md": "new report"}  # figures/ of the old one are gone
    assert [p.name for p in tmp_path.iterdir()] == ["rep"], "no .tmp or .old folder left"


@pytest.mark.parametrize("error", [RuntimeError("plot failed"), KeyboardInterrupt()])
def test_a_failure_midway_leaves_the_old_folder_and_no_temporary_one(tmp_path, error):
    target = tmp_path / "rep"
    before = _old_output(target)
    with pytest.raises(type(error)), staged_folder(target) as tmp:
        (tmp / "summary.md").write_text("half a report")
        raise error
    assert _tree(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]


def test_a_failure_midway_without_an_old_folder_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError, match="plot failed"), staged_folder(tmp_path / "rep"):
        raise RuntimeError("plot failed")
    assert not list(tmp_path.iterdir())


def test_a_failed_rename_into_place_puts_the_old_folder_back(tmp_path, monkeypatch):
    target = tmp_path / "rep"
    before = _old_output(target)
    rename = Path.rename

    def failing(self, dest):  # the old folder moves aside, then the new one cannot move in
        if self.name.endswith(".tmp"):
            raise OSError("disk trouble")
        return rename(self, dest)

    monkeypatch.setattr(Path, "rename", failing)
    with pytest.raises(OSError, match="disk trouble"), staged_folder(target) as tmp:
        (tmp / "summary.md").write_text("new report")
    monkeypatch.undo()
    assert _tree(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]


def test_a_failed_move_aside_leaves_the_old_folder_where_it_was(tmp_path, monkeypatch):
    target = tmp_path / "rep"
    before = _old_output(target)
    rename = Path.rename

    def failing(self, dest):
        if self == target:
            raise PermissionError("folder in use")
        return rename(self, dest)

    monkeypatch.setattr(Path, "rename", failing)
    with pytest.raises(PermissionError, match="folder in use"), staged_folder(target) as tmp:
        (tmp / "summary.md").write_text("new report")
    monkeypatch.undo()
    assert _tree(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]


def test_missing_parents_are_made_and_removed_again_after_a_failure(tmp_path):
    (tmp_path / "reports").mkdir()
    target = tmp_path / "reports" / "2024" / "march" / "rep"
    with pytest.raises(RuntimeError), staged_folder(target):
        assert (tmp_path / "reports" / "2024" / "march").is_dir()
        raise RuntimeError("interrupted")
    assert [p.name for p in tmp_path.iterdir()] == ["reports"], "only what we made is removed"
    assert not list((tmp_path / "reports").iterdir())
    with staged_folder(target) as tmp:
        (tmp / "a.txt").write_text("x")
    assert _tree(tmp_path) == {"reports/2024/march/rep/a.txt": "x"}


def test_a_relative_target_is_fixed_before_the_block_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    with staged_folder(Path("out") / "nested" / "rep") as tmp:
        assert tmp.is_absolute() and tmp.parent == tmp_path / "out" / "nested"
        os.chdir(tmp_path / "elsewhere")  # the block may change folder: the target does not
        (tmp / "a.txt").write_text("x")
    assert _tree(tmp_path) == {"out/nested/rep/a.txt": "x"}


def test_a_target_given_as_a_string_with_dot_dot_works(tmp_path):
    (tmp_path / "sub").mkdir()
    with staged_folder(f"{tmp_path}/sub/../rep") as tmp:
        (tmp / "a.txt").write_text("x")
    assert _tree(tmp_path) == {"rep/a.txt": "x"}


@posix_only
def test_a_link_at_the_target_is_replaced_and_what_it_points_to_is_kept(tmp_path):
    real = tmp_path / "real"
    before = _old_output(real)
    (tmp_path / "rep").symlink_to(real, target_is_directory=True)
    with staged_folder(tmp_path / "rep") as tmp:
        (tmp / "a.txt").write_text("x")
    assert not (tmp_path / "rep").is_symlink() and _tree(tmp_path / "rep") == {"a.txt": "x"}
    assert _tree(real) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real", "rep"]


def test_a_file_at_the_target_is_refused_and_kept(tmp_path):
    target = tmp_path / "rep"
    target.write_text("my notes")
    with pytest.raises(OutputFolderError, match=r"'.*rep' is a file, not a folder"), \
            staged_folder(target):
        pytest.fail("the block must not run")
    assert target.read_text() == "my notes"
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]


@pytest.mark.parametrize("where", ["current", "above current", "home", "above home", "dot",
                                   "dot dot", "root"])
def test_folders_whose_loss_would_cost_far_more_than_an_output_are_refused(
        tmp_path, monkeypatch, where):
    (tmp_path / "home" / "me").mkdir(parents=True)
    (tmp_path / "work" / "project").mkdir(parents=True)
    (tmp_path / "work" / "project" / "keep.txt").write_text("keep")
    monkeypatch.setenv("HOME", str(tmp_path / "home" / "me"))
    monkeypatch.chdir(tmp_path / "work" / "project")
    target = {"current": tmp_path / "work" / "project", "above current": tmp_path / "work",
              "home": tmp_path / "home" / "me", "above home": tmp_path / "home",
              "dot": Path("."), "dot dot": Path("sub/.."), "root": Path("/")}[where]
    message = "has no name" if where in ("dot dot", "root") else "current folder, your home"
    with pytest.raises(OutputFolderError, match=message), staged_folder(target):
        pytest.fail("the block must not run")
    assert (tmp_path / "work" / "project" / "keep.txt").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "work"]
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["project"]


def test_refusals_are_crmlab_input_errors_the_cli_reports_in_one_line():
    assert issubclass(OutputFolderError, CRMLabError) and issubclass(OutputFolderError,
                                                                    ValueError)
