"""core.sending.split: any text, any length, markup and emoji — every part within the limit
as the platform counts it, nothing lost but the whitespace at a cut, markup kept, a span that
fits never cut, no character cluster broken; buttons on the last part, a file whose caption
is too long alone before its text."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from core.campaigns.content import visible_length
from core.ports import Button, Capabilities, MediaFile, Outbound, Span
from core.sending.split import message_parts, shortened, split_spans
from tests.fuzzing import fuzz

CLUSTERS = ["👨\u200d👩\u200d👧", "👍🏽", "🇷🇺", "🇺🇦", "❤️", "é", "й", "𝔘"]
WORDS = ["профсоюз", "учитель", "school", "<b>", "&amp;", "**", "__", "[x](y)", "a"]
GAPS = [" ", " ", " ", "\n", "\n\n", "  ", "\t", ". ", "! ", "… ", "\n \n"]
whole = st.one_of(
    st.sampled_from(WORDS + CLUSTERS + GAPS),
    st.builds(lambda c, n: c * n, st.sampled_from(["x", "ж", "👨\u200d👩\u200d👧", "🇷🇺"]),
              st.integers(1, 400)),
)


def spans_of(token: st.SearchStrategy[str]) -> st.SearchStrategy[tuple[Span, ...]]:
    span = st.builds(
        Span, st.lists(token, max_size=40).map("".join), st.booleans(), st.booleans(),
        st.one_of(st.none(), st.sampled_from(["https://eseur.ru", "https://t.me/x?a=<b>&c"])),
    )
    return st.lists(span, max_size=12).map(tuple)


spans_strategy = spans_of(whole)


def caps(fmt: str, limit: int, caption: int = 0) -> Capabilities:
    return Capabilities(1, 1.0, 0.0, 0.0, False, False, False, False, limit, caption, False,
                        text_format=fmt)  # type: ignore[arg-type]


def flat(spans: tuple[Span, ...]) -> str:
    return "".join(s.text for s in spans)


def locate(original: str, parts: list[tuple[Span, ...]]) -> list[int]:
    """Where each part starts in the original; only whitespace between parts and at the ends
    may be missing."""
    starts, cursor = [], 0
    for part in parts:
        text = flat(part)
        position = original.find(text, cursor)
        assert position >= 0, (text[:40], cursor)
        assert not original[cursor:position].strip(), original[cursor:position][:40]
        starts.append(position)
        cursor = position + len(text)
    assert not original[cursor:].strip()
    return starts


def marks(spans: tuple[Span, ...]) -> list[tuple[bool, bool, str | None]]:
    return [(s.bold, s.italic, s.url) for s in spans for _ in s.text]


def check(spans: tuple[Span, ...], limit: int, fmt: str, clusters: bool = True
          ) -> list[tuple[Span, ...]]:
    """`clusters`: the text is made of whole clusters (no stray joiner or accent)."""
    parts = split_spans(spans, limit, fmt)
    original = flat(spans)
    if not original.strip():
        return parts
    starts = locate(original, parts)
    kept = marks(spans)
    for part, start in zip(parts, starts, strict=True):
        assert visible_length(part, fmt) <= limit
        assert flat(part).strip()
        assert marks(part) == kept[start : start + len(flat(part))]  # markup as it was
    ranges = [(start, start + len(flat(p))) for p, start in zip(parts, starts, strict=True)]
    position = 0
    for whole in spans:  # a span that fits lies whole in one part
        end = position + len(whole.text)
        marked = whole.bold or whole.italic or whole.url
        if marked and whole.text.strip() and visible_length((whole,), fmt) <= limit:
            # the whitespace at either end of the span may be the cut's, dropped
            first = position + len(whole.text) - len(whole.text.lstrip())
            last = end - (len(whole.text) - len(whole.text.rstrip()))
            assert any(a <= first and last <= b for a, b in ranges), whole
        position = end
    for part in parts[1:] if clusters else ():  # whole emoji, flags and accented letters
        text = flat(part)
        assert not text.startswith(("\u200d", "\ufe0f", "🏽")), text[:5]
        assert unicodedata.category(text[0]) not in ("Mn", "Me", "Mc")
    for part in parts[:-1] if clusters else ():
        assert not flat(part).endswith("\u200d")
    return parts


@fuzz(300)
@example((Span("профсоюз " + "x" * 40 + " "), Span(" профсоюз", italic=True)), 40, "html")
@given(spans_strategy, st.integers(40, 400), st.sampled_from(["html", "plain"]))
def test_any_text_splits_within_the_limit(spans: tuple[Span, ...], limit: int, fmt: str) -> None:
    check(spans, limit, fmt)


@fuzz(200)
@given(spans_of(st.one_of(whole, st.text(max_size=8))), st.integers(40, 400),
       st.sampled_from(["html", "plain"]))
def test_any_characters_at_all(spans: tuple[Span, ...], limit: int, fmt: str) -> None:
    check(spans, limit, fmt, clusters=False)


@fuzz(40)
@given(spans_strategy, st.integers(1, 10))
def test_long_texts_split_at_telegram_and_viber_limits(spans: tuple[Span, ...], times: int
                                                       ) -> None:
    doubled = spans * times * 4
    for fmt, limit in (("html", 4096), ("plain", 7000), ("plain", 9000)):
        check(doubled, limit, fmt)


def test_ten_thousand_characters_split_at_paragraphs_with_emoji_counted_as_telegram_does() -> None:
    paragraph = "Профсоюз напоминает 👍🏽 о собрании. " * 20 + "\n\n"
    spans = (Span(paragraph * 7), Span("важно " * 100, bold=True), Span(paragraph * 7))
    parts = check(spans, 4096, "html")
    assert len(flat(spans)) > 10_000 and len(parts) >= 3
    assert all(flat(p).endswith(("собрании.", "важно")) for p in parts[:-1])
    assert all(4096 // 2 < visible_length(p, "html") <= 4096 for p in parts[:-1])


def test_a_flag_run_is_cut_between_flags() -> None:
    parts = check((Span("🇷🇺" * 50),), 25, "html")
    assert all(len(re.findall("[\U0001F1E6-\U0001F1FF]", flat(p))) % 2 == 0 for p in parts)


def test_a_link_whose_address_alone_is_too_long_is_written_out() -> None:
    address = "https://eseur.ru/" + "a" * 100
    parts = split_spans((Span("сайт", url=address), Span(" и всё")), 60, "plain")
    assert all(visible_length(p, "plain") <= 60 for p in parts)
    assert "".join(flat(p) for p in parts).replace(" ", "") == f"сайт({address})ивсё"


def test_buttons_go_with_the_last_part_and_keys_stay_per_part() -> None:
    rows = ((Button("Да", payload="yes"),),)
    message = Outbound(key="reply7", text=(Span("слово " * 3000),), buttons=rows, thread="5")
    parts = message_parts(message, caps("html", 4096))
    assert [p.key for p in parts] == ["reply7", "reply7p1", "reply7p2", "reply7p3", "reply7p4"]
    assert [p.buttons for p in parts] == [(), (), (), (), rows]
    assert {p.thread for p in parts} == {"5"}
    assert message_parts(Outbound(key="k", text=(Span("кратко"),), buttons=rows),
                         caps("html", 4096)) == [Outbound(key="k", text=(Span("кратко"),),
                                                          buttons=rows)]


def test_a_caption_over_the_limit_follows_its_file() -> None:
    leaflet = MediaFile(1, "ab", "leaflet.pdf", "application/pdf", 10)
    rows = ((Button("Сайт", url="https://eseur.ru"),),)
    short = Outbound(key="r", text=(Span("подпись"),), media=leaflet, buttons=rows)
    assert message_parts(short, caps("html", 4096, 1024)) == [short]
    long = Outbound(key="r", text=(Span("подпись " * 700),), media=leaflet, buttons=rows)
    parts = message_parts(long, caps("html", 4096, 1024))
    assert parts[0] == Outbound(key="r", media=leaflet, caption_separate=True)
    assert [p.media for p in parts[1:]] == [None, None] and parts[-1].buttons == rows
    viber = message_parts(short, caps("plain", 7000, 0))  # no captions at all
    assert viber == [Outbound(key="r", media=leaflet, caption_separate=True),
                     Outbound(key="rp1", text=(Span("подпись"),), buttons=rows)]


def test_a_short_line_that_must_stay_short_shows_its_cut() -> None:
    assert shortened("Профсоюз", 80) == "Профсоюз"
    cut = shortened("Иванова Мария Петровна · Школа №5 · Центральный район", 30)
    assert len(cut) <= 30 and cut.endswith("…") and cut.startswith("Иванова Мария")
    assert shortened("ж" * 100, 10) == "ж" * 9 + "…"
