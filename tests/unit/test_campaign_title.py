"""A campaign made without a title takes its post's own heading, readable in lists."""

from __future__ import annotations

import pytest

from core.campaigns.store import TITLE_CHARS, _title


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("**Информационный листок** за декабрь: индексация зарплаты, отпуск 56 дней",
         "Информационный листок за декабрь"),
        ("Собрание в четверг в 15:00", "Собрание в четверг в 15:00"),
        ("[Опрос](https://example.org) молодых педагогов. Ответьте до пятницы",
         "Опрос молодых педагогов"),
        ("Коротко: да", "Коротко: да"),  # a heading under 12 characters is no heading
        ("", "Сообщение"),
    ],
)
def test_title_is_the_heading(text: str, title: str) -> None:
    assert _title(text, None) == title


def test_a_long_line_is_cut_at_a_word() -> None:
    text = "Очень длинная строка без знаков препинания " * 4
    title = _title(text, None)
    assert len(title) <= TITLE_CHARS and title.endswith("…")
    assert text.startswith(title[:-1])
