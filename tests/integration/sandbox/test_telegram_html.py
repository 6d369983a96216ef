"""The emulator's parse_mode=HTML against properties an adapter relies on."""

from __future__ import annotations

import html

from hypothesis import given
from hypothesis import strategies as st

from sandbox.telegram.html import HtmlError, parse_html
from sandbox.telegram.values import utf16_length


@given(st.text())
def test_escaped_text_comes_back_unchanged(text: str) -> None:
    """html.escape (our adapters' escaping) is always valid markup for Telegram."""
    assert parse_html(html.escape(text)) == (text, [])


@given(st.text(min_size=1), st.text())
def test_entity_offsets_are_utf16_code_units(before: str, inside: str) -> None:
    visible, entities = parse_html(f"{html.escape(before)}<b>{html.escape(inside)}</b>")
    assert visible == before + inside
    if inside:
        assert entities == [
            {"type": "bold", "offset": utf16_length(before), "length": utf16_length(inside)}
        ]
    else:
        assert entities == []


@given(st.sampled_from(["div", "p", "br", "h1", "script", "img"]), st.text(alphabet="абв xyz"))
def test_unsupported_tags_report_their_byte_offset(tag: str, before: str) -> None:
    markup = f"{html.escape(before)}<{tag}>"
    try:
        parse_html(markup)
    except HtmlError as exc:
        offset = len(html.escape(before).encode("utf-8"))
        assert str(exc) == f'Unsupported start tag "{tag}" at byte offset {offset}'
    else:
        raise AssertionError("unsupported tag accepted")
