"""Messenger ids in a member list: positive_id's shortcut for plain digits gives what its
full rules give, for any text (core.audience.importing.rows)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from core.audience.importing.rows import RowError, positive_id

DIGITS = re.compile(r"^\d{1,20}(?:\.0+)?$")
SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?[eE][+-]?\d+$")


def by_the_rules(text: str) -> str | None:
    """The id as the rules define it (Excel notation, digits, positive), None if refused."""
    if SCIENTIFIC.match(text) or not DIGITS.match(text):
        return None
    number = int(text.split(".")[0])
    return str(number) if number > 0 else None


def accepted(text: str) -> str | None:
    try:
        return positive_id("telegram_id", text)
    except RowError:
        return None


# Plain and Arabic-Indic digits, a superscript (a digit to isdigit(), not to \d), and the
# characters of floats, Excel notation and stray input.
ID_TEXT = st.text(alphabet="0123456789٣².,eE+- \n", max_size=24)


@given(ID_TEXT)
def test_any_text_is_accepted_or_refused_as_the_rules_say(text: str) -> None:
    assert accepted(text) == by_the_rules(text)


def test_examples() -> None:
    assert [accepted(t) for t in ("0042", "9100000.0", "٣", "0", "²", "1" * 21)] == [
        "42", "9100000", "3", None, None, None
    ]
