"""parse_mode=HTML as TDLib parses it (td/telegram/MessageEntity.cpp, parse_html).

Works on the UTF-8 bytes, so error offsets are byte offsets as Telegram reports them, and
entity offsets/lengths are UTF-16 code units. Errors are raised as HtmlError with TDLib's
detail; callers prefix "can't parse entities: ".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SUPPORTED_TAGS = frozenset(
    [
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    ]
)
_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}
_SPACES = b" \t\n\r\f\v"


class HtmlError(Exception):
    """Broken markup; the message is TDLib's detail."""


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int
    out_pos: int


def _is_space(byte: int) -> bool:
    return byte != 0 and byte in _SPACES


def _is_token(byte: int) -> bool:
    return chr(byte).isalnum() and byte < 128 or byte in b".-"


@dataclass
class _Parser:
    data: bytes
    out: bytearray = field(default_factory=bytearray)
    utf16: int = 0
    stack: list[_Open] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)

    def at(self, pos: int) -> int:
        return self.data[pos] if pos < len(self.data) else 0

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        pos = 0
        while pos < len(self.data):
            byte = self.data[pos]
            if byte == ord("&"):
                decoded = decode_entity(self.data, pos)
                if decoded is not None:
                    char, pos = decoded
                    self._emit(char)
                    continue
            if byte != ord("<"):
                self.out.append(byte)
                if byte & 0xC0 != 0x80:
                    self.utf16 += 2 if byte >= 0xF0 else 1
                pos += 1
                continue
            pos = self._end_tag(pos) if self.at(pos + 1) == ord("/") else self._start_tag(pos)
        if self.stack:
            tag = self.stack[-1].tag
            raise HtmlError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        return self.out.decode("utf-8"), _finish(self.entities)

    def _emit(self, char: str) -> None:
        if 0xD800 <= ord(char) <= 0xDFFF:
            raise HtmlError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        self.out += char.encode("utf-8")
        self.utf16 += 2 if ord(char) > 0xFFFF else 1

    def _start_tag(self, begin: int) -> int:
        pos = begin + 1
        while self.at(pos) and not _is_space(self.at(pos)) and self.at(pos) != ord(">"):
            pos += 1
        if not self.at(pos):
            raise HtmlError(f"Unclosed start tag at byte offset {begin}")
        tag = self.data[begin + 1 : pos].decode("utf-8", "replace").lower()
        if tag not in SUPPORTED_TAGS:
            raise HtmlError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        argument = ""
        while self.at(pos) != ord(">"):
            pos, argument = self._attribute(tag, begin, pos, argument)
        if tag == "span" and argument != "spoiler":
            raise HtmlError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
        self.stack.append(_Open(tag, argument, self.utf16, len(self.out)))
        return pos + 1

    def _attribute(self, tag: str, begin: int, pos: int, argument: str) -> tuple[int, str]:
        pos = self._skip_spaces(pos)
        if self.at(pos) == ord(">"):
            return pos, argument
        name_begin = pos
        while self.at(pos) and not _is_space(self.at(pos)) and self.at(pos) not in b"=>":
            pos += 1
        name = self.data[name_begin:pos].decode("utf-8", "replace")
        if not name:
            raise HtmlError(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
        pos = self._skip_spaces(pos)
        if self.at(pos) != ord("="):
            if tag == "blockquote" and name == "expandable":
                return pos, "expandable"
            raise HtmlError(
                "Expected equal sign in declaration of an attribute of the tag "
                f'"{tag}" at byte offset {begin}'
            )
        pos = self._skip_spaces(pos + 1)
        if not self.at(pos):
            raise HtmlError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        pos, value = self._attribute_value(pos)
        if not self.at(pos):
            raise HtmlError(f"Unclosed start tag at byte offset {begin}")
        return pos, _argument(tag, name, value, argument)

    def _attribute_value(self, pos: int) -> tuple[int, str]:
        quote = self.at(pos)
        if quote not in (ord("'"), ord('"')):
            token_begin = pos
            while self.at(pos) and _is_token(self.at(pos)):
                pos += 1
            if self.at(pos) and not _is_space(self.at(pos)) and self.at(pos) != ord(">"):
                raise HtmlError(f"Unexpected end of name token at byte offset {token_begin}")
            return pos, self.data[token_begin:pos].decode("utf-8", "replace").lower()
        pos += 1
        value = bytearray()
        while self.at(pos) and self.at(pos) != quote:
            decoded = decode_entity(self.data, pos) if self.at(pos) == ord("&") else None
            if decoded is not None:
                value += decoded[0].encode("utf-8")
                pos = decoded[1]
                continue
            value.append(self.at(pos))
            pos += 1
        if self.at(pos) == quote:
            pos += 1
        return pos, value.decode("utf-8", "replace")

    def _skip_spaces(self, pos: int) -> int:
        while _is_space(self.at(pos)):
            pos += 1
        return pos

    def _end_tag(self, begin: int) -> int:
        if not self.stack:
            raise HtmlError(f"Unexpected end tag at byte offset {begin}")
        pos = begin + 2
        while self.at(pos) and not _is_space(self.at(pos)) and self.at(pos) != ord(">"):
            pos += 1
        name = self.data[begin + 2 : pos].decode("utf-8", "replace").lower()
        pos = self._skip_spaces(pos)
        if self.at(pos) != ord(">"):
            raise HtmlError(f"Unclosed end tag at byte offset {begin}")
        opened = self.stack.pop()
        if name and name != opened.tag:
            raise HtmlError(
                f'Unmatched end tag at byte offset {begin}, expected "</{opened.tag}>", '
                f'found "</{name}>"'
            )
        if self.utf16 > opened.offset:
            self._close(opened)
        return pos + 1

    def _close(self, opened: _Open) -> None:
        entity: dict[str, Any] = {"offset": opened.offset, "length": self.utf16 - opened.offset}
        if opened.tag in _SIMPLE:
            entity["type"] = _SIMPLE[opened.tag]
        elif opened.tag == "blockquote":
            entity["type"] = "expandable_blockquote" if opened.argument else "blockquote"
        elif opened.tag == "tg-emoji":
            if not opened.argument.isdigit() or int(opened.argument) == 0:
                raise HtmlError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=opened.argument)
        elif opened.tag == "a":
            url = opened.argument or bytes(self.out[opened.out_pos :]).decode("utf-8", "replace")
            if not _link_entity(entity, url):
                return
        else:
            self._code_or_pre(opened, entity)
            return
        self.entities.append(entity)

    def _code_or_pre(self, opened: _Open, entity: dict[str, Any]) -> None:
        last = self.entities[-1] if self.entities else None
        same = last is not None and (last["offset"], last["length"]) == (
            entity["offset"],
            entity["length"],
        )
        if opened.tag == "pre" and same and last and last["type"] == "code" and last.get("_lang"):
            last.update(type="pre", language=last.pop("_lang"))
            return
        if opened.tag == "code" and same and last and last["type"] == "pre" and opened.argument:
            last["language"] = opened.argument
            return
        entity["type"] = opened.tag
        if opened.tag == "code" and opened.argument:
            entity["_lang"] = opened.argument
        self.entities.append(entity)


def _argument(tag: str, name: str, value: str, current: str) -> str:
    if tag == "a" and name == "href":
        return value
    if tag == "code" and name == "class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and name == "class" and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and name == "emoji-id":
        return value
    return current


def _link_entity(entity: dict[str, Any], url: str) -> bool:
    """A tg://user?id= link mentions the user; other links must look like URLs (else dropped)."""
    if url.startswith("tg://user?id=") and url[len("tg://user?id=") :].isdigit():
        user_id = int(url[len("tg://user?id=") :])
        entity.update(type="text_mention", user={"id": user_id, "is_bot": False, "first_name": ""})
        return True
    if "://" not in url:
        if "." not in url or " " in url:
            return False
        url = f"http://{url}"
    entity.update(type="text_link", url=url)
    return True


def _finish(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for entity in entities:
        entity.pop("_lang", None)
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def decode_entity(data: bytes, pos: int) -> tuple[str, int] | None:
    """&lt; &gt; &amp; &quot; and numeric references; None leaves the '&' as text."""
    end = pos + 1
    if data[end : end + 1] == b"#":
        end += 1
        hexadecimal = data[end : end + 1] == b"x"
        end += 1 if hexadecimal else 0
        digits = b"0123456789abcdefABCDEF" if hexadecimal else b"0123456789"
        start = end
        while end < len(data) and data[end] in digits:
            end += 1
        code = int(data[start:end], 16 if hexadecimal else 10) if end > start else 0
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
        char = chr(code)
    else:
        while end < len(data) and chr(data[end]).isalpha() and data[end] < 128:
            end += 1
        named = _NAMED.get(data[pos + 1 : end])
        if named is None:
            return None
        char = named
    if data[end : end + 1] == b";":
        end += 1
    return char, end


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Visible text and its entities; raises HtmlError for broken markup."""
    return _Parser(text.encode("utf-8")).run()
