"""Assertions shared by the exercise tests: a right answer is praised, a wrong one gets the
named hint and never the right value in any spelling a student could read it in."""

from __future__ import annotations


def spellings(value) -> list[str]:
    """Ways a number could appear in a message: decimals, whole numbers with and without
    thousands separators or sign, and percentages of a fraction."""
    value = float(value)
    out = {f"{value:.1f}", f"{value:.2f}", f"{value:.3f}", repr(value)}
    if value.is_integer():
        out |= {str(int(value)), f"{int(value):,}"}
    if abs(value) >= 100:  # money: whole euros
        out |= {f"{value:,.0f}", f"{abs(value):,.0f}", str(round(value)),
                str(abs(round(value)))}
    if 0 < abs(value) < 10:  # a fraction (or a ratio) read as a percentage
        out |= {f"{100 * value:.1f}", f"{value:.1%}", f"{value:.0%}"}
    return sorted(out)


def assert_correct(feedback, capsys=None) -> None:
    """A right answer: correct, full points, praised, and (given ``capsys``) nothing printed
    by the library."""
    assert feedback.correct, feedback
    assert feedback.attempted and feedback.status == "correct"
    assert feedback.points == feedback.max_points > 0
    assert feedback.message.startswith("Correct")
    if capsys is not None:
        assert capsys.readouterr() == ("", "")  # library code never prints


def assert_hint(feedback, *, contains: str, hides=None) -> None:
    """A wrong answer: attempted, no points, the expected hint, and no leaked right value."""
    assert not feedback.correct, feedback
    assert feedback.points == 0
    assert feedback.attempted
    assert contains.lower() in feedback.message.lower(), feedback.message
    if hides is not None:
        for text in spellings(hides):
            assert text not in feedback.message, (text, feedback.message)
            assert text not in repr(feedback)
            assert text not in feedback._repr_markdown_()
