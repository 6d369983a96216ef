"""What the hypothesis fuzz tests (tests/*/test_fuzz_*.py) share: how deep they go, and
strategies for hostile input — arbitrary JSON, a known payload with fields dropped or
replaced, texts full of markup specials, emoji and huge strings.

Depth: `make test` runs each fuzz test with its small example count (the whole of them in
well under a minute). `RUPOR_FUZZ=deep` multiplies every count by 25 (`make fuzz-deep`);
`RUPOR_FUZZ=<n>` by n.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

T = TypeVar("T")
DEEP_FACTOR = 25


def depth() -> int:
    """How many times the default example counts to run (RUPOR_FUZZ)."""
    raw = os.environ.get("RUPOR_FUZZ", "").strip().lower()
    if raw == "deep":
        return DEEP_FACTOR
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


def fuzz(examples: int) -> Callable[[T], T]:
    """settings for a fuzz test: `examples` (times the depth), no deadline (a loaded machine
    is slow, not wrong), fixtures shared by the examples on purpose."""
    return settings(  # type: ignore[return-value]
        max_examples=examples * depth(),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large],
        print_blob=True,
    )


# Characters that mean something to a parser somewhere: HTML, Telegram's HTML and
# MarkdownV2, VK and Viber markup, JSON, SQL, format strings, and a shell for good measure.
SPECIALS = list("<>&\"'*_~`|[](){}#+-=.!\\/%$;:@\n\r\t\x00") + [
    "<b>", "</b>", "<i>", "<a href=\"x\">", "</a>", "&amp;", "&lt;", "&#x1F600;", "**", "__",
    "||", "```", "[текст](https://example.org)", "<script>", "{0}", "%s", "' OR 1=1 --",
]
EMOJI = ["😀", "👨\u200d👩\u200d👧", "🇷🇺", "❤️", "✊🏽", "📨", "🗳", "\u200d", "\ufe0f",
         "\U0001f9d1\u200d\U0001f3eb"]
RUSSIAN = list("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ ")

pieces = st.one_of(
    st.sampled_from(SPECIALS), st.sampled_from(EMOJI), st.sampled_from(RUSSIAN),
    st.text(max_size=3),
)


def hostile_text(max_pieces: int = 30) -> st.SearchStrategy[str]:
    """Text mixing markup specials, emoji (surrogate pairs, ZWJ sequences) and Russian."""
    return st.lists(pieces, max_size=max_pieces).map("".join)


def huge_text() -> st.SearchStrategy[str]:
    """A string of 5,000–70,000 characters, built without drawing each of them."""
    return st.builds(lambda piece, times: piece * times,
                     st.sampled_from(["я", "<b>", "😀", "a&b ", "\\"]),
                     st.integers(5_000, 70_000))


def strings() -> st.SearchStrategy[str]:
    return st.one_of(st.text(max_size=40), hostile_text(10), huge_text())


scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(), st.integers(-(2**70), 2**70),
    st.floats(),  # NaN and Infinity too: json.dumps writes them, json.loads reads them
    st.text(max_size=30), hostile_text(8),
)


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON value: nested lists and objects of scalars."""
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.text(max_size=12), inner, max_size=4),
        ),
        max_leaves=max_leaves,
    )


@st.composite
def mutated(draw: st.DrawFn, value: Any, keep: int | None = None) -> Any:
    """`value` with some of its fields (at any depth) dropped, replaced by any JSON value or
    by a huge string, or kept. How many are kept is drawn once per value: from nearly all
    (the result still reaches deep code) to few (it is refused early)."""
    keep = keep if keep is not None else draw(st.sampled_from([60, 15, 4]))
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            action = draw(st.sampled_from(["keep"] * keep + ["drop", "replace", "huge"]))
            if action == "keep":
                out[key] = draw(mutated(item, keep))
            elif action == "replace":
                out[key] = draw(json_values(6))
            elif action == "huge":
                out[key] = draw(huge_text())
        if draw(st.sampled_from([False] * keep + [True])):
            out[draw(st.text(max_size=12))] = draw(json_values(4))
        return out
    if isinstance(value, list):
        return [draw(mutated(item, keep)) for item in value]
    return value
