"""Command line for instructors: ``python -m sim exercises list | release | grade``.

``release`` writes the student copies of the exercise notebooks (:mod:`.release`); ``grade``
runs submitted notebooks and writes a gradebook CSV (:mod:`.grading`); ``list`` shows the
registered exercises. :func:`add_parser` adds the ``exercises`` command to the main parser of
``python -m sim`` and :func:`main` runs it. Errors print one line and return status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..argtypes import number
from ..errors import CRMLabError

__all__ = ["add_parser", "main"]

EXIT_USAGE = 2


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``exercises`` command (with ``list``, ``release``, ``grade``) to ``subparsers``.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``parser.add_subparsers()`` returned.

    Returns
    -------
    argparse.ArgumentParser
        The ``exercises`` parser.
    """
    parser = subparsers.add_parser(
        "exercises", help="hand out the exercises to students and grade their notebooks",
        description="Hand out the exercise notebooks and grade what students hand in.",
        epilog="Examples:\n  python -m sim exercises list\n"
               "  python -m sim exercises release --out release\n"
               "  python -m sim exercises grade submissions/ --out gradebook.csv --jobs 2",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(exercises_parser=parser)
    actions = parser.add_subparsers(dest="exercises_action", metavar="ACTION")

    actions.add_parser("list", help="list the exercises, their questions and points",
                       description="List the registered exercises with their questions and "
                                   "points.")

    rel = actions.add_parser(
        "release", help="write the student copies (solutions and hidden tests removed)",
        description="Write the student copies of the exercise notebooks: solution and "
                    "hidden-test blocks removed, outputs cleared, README.md copied. A "
                    "notebook with unbalanced or misspelt markers stops the release.")
    rel.add_argument("--source", type=Path, default=Path("exercises"), metavar="DIR",
                     help="folder of the source notebooks (default: exercises)")
    rel.add_argument("--out", type=Path, default=Path("release"), metavar="DIR",
                     help="folder to write; replaced whole if an earlier release wrote it "
                          "(default: release)")
    rel.add_argument("--force", action="store_true",
                     help="replace --out even if it holds files a release did not write")

    grd = actions.add_parser(
        "grade", help="run submitted notebooks and write a gradebook CSV",
        description="Run every .ipynb under SUBMISSIONS in a fresh kernel of its own, have it "
                    "hand in its answers as data, and grade each question with the exercise's "
                    "checks in a second kernel no student code runs in. Writes one row per "
                    "file and question (file, student, exercise, question, points, max_points, "
                    "status, feedback) and prints each student's total. A notebook that "
                    "crashes, loops or prints garbage gets zero for what it could not answer. "
                    "Student code runs with your permissions: grade untrusted work in a "
                    "container.")
    grd.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                     help="folder of submitted notebooks (subfolders are searched)")
    grd.add_argument("--out", type=Path, default=Path("gradebook.csv"), metavar="CSV",
                     help="gradebook to write (default: gradebook.csv)")
    grd.add_argument("--exercise", default=None, metavar="NAME",
                     help="grade every notebook as this exercise (default: each notebook's "
                          "own, from its metadata, setup cell or file name)")
    grd.add_argument("--timeout", type=number("--timeout", 0, above=True, unit="seconds"),
                     default=300.0, metavar="S",
                     help="seconds a cell, or checking one answer, may run (default: 300)")
    grd.add_argument("--notebook-timeout",
                     type=number("--notebook-timeout", 0, above=True, unit="seconds"),
                     default=1800.0, metavar="S",
                     help="seconds all of a notebook's cells may run (default: 1800)")
    grd.add_argument("--jobs", type=number("--jobs", 1, whole=True), default=1, metavar="N",
                     help="notebooks graded at the same time, two kernels each (default: 1)")
    return parser


def _list() -> int:
    from .registry import EXERCISES

    for name, exercise in EXERCISES.items():
        points = sum(q.points for q in exercise.questions)
        print(f"{name}  {exercise.title} ({len(exercise.questions)} questions, "
              f"{points:g} points)")
        for q in exercise.questions:
            print(f"    {q.id} ({q.points:g}): {q.text}")
    return 0


def _release(args) -> int:
    from .release import MANIFEST, release

    out = release(args.source, args.out, force=args.force)
    files = sorted(p.name for p in out.iterdir() if p.name != MANIFEST)
    print(f"wrote {len(files)} files to {out}: {', '.join(files)}")
    return 0


def _grade(args) -> int:
    import pandas as pd

    from .grading import grade_submissions

    started = time.monotonic()

    def progress(done: int, total: int, file: str, rows: pd.DataFrame) -> None:
        student = next((s for s in rows["student"] if s), "no student id")
        print(f"[{done}/{total}] {file}: {rows['points'].sum():g} of "
              f"{rows['max_points'].sum():g} points ({student}, "
              f"{time.monotonic() - started:.0f} s)", flush=True)

    book = grade_submissions(args.submissions, args.out, exercise=args.exercise,
                             timeout=args.timeout, notebook_timeout=args.notebook_timeout,
                             jobs=args.jobs, progress=progress)
    with pd.option_context("display.width", 200, "display.max_rows", None,
                           "display.max_columns", None):
        print()
        print(book.totals().to_string(na_rep="-", float_format="{:g}".format))
    for note in book.notes:
        print(f"note: {note}")
    counts = book.table["status"].value_counts()
    print(f"\nwrote {book.path} ({len(book.table)} rows: "
          f"{', '.join(f'{n} {s}' for s, n in counts.items())})")
    return 0


def main(args: argparse.Namespace) -> int:
    """Run the ``exercises`` command parsed by the parser :func:`add_parser` made.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    int
        Exit status: 0 on success, 2 for bad input, 130 when interrupted.
    """
    action = getattr(args, "exercises_action", None)
    if action is None:
        args.exercises_parser.print_help()
        return EXIT_USAGE
    try:
        return {"list": _list, "release": lambda: _release(args),
                "grade": lambda: _grade(args)}[action]()
    except (CRMLabError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return 130
