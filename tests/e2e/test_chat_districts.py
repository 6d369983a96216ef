"""Every district in the audience step of /poll and /post (issue 15): a union of 12
districts is shown a page at a time — each button with its count, «Далее ›», «‹» and «»»
to move — and a district on the last page can be chosen. VK keyboards hold ten buttons, so
no page has more (the VK adapter refuses more)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sandbox.union import Actor, ChatLine
from tests.e2e.chat_support import make_press, press, say
from tests.e2e.poll_support import YOUNG_UNION
from tests.e2e.subs_support import POLLING, Rig, answer

DISTRICTS = 12
UNION = replace(YOUNG_UNION, districts=DISTRICTS, schools=24, members=120)


def _districts(line: ChatLine) -> list[str]:
    """The district buttons' labels ("name — count")."""
    return [b.label for b in line.pressable
            if " — " in b.label and not b.label.startswith(("Молодые", "Весь"))]


async def _page_through(actor: Actor, first: ChatLine, question: str) -> tuple[list[str],
                                                                               ChatLine]:
    """Press «Далее ›» until the last page; every district label seen, and the last page."""
    seen, line = _districts(first), first
    assert len(line.pressable) <= 10
    while any(b.label == "Далее ›" for b in line.pressable):
        line = await press(actor, "Далее ›", contains=question, line=line)
        assert len(line.pressable) <= 10
        seen += _districts(line)
    return seen, line


async def _secretary(rigs: list[Rig], tmp_path: Path, db_url: str) -> Actor:
    rig = await Rig.open(tmp_path, db_url, POLLING, UNION)
    rigs.append(rig)
    secretary = rig.subscriber("telegram")
    await make_press(rig, secretary)
    await rig.start()
    return secretary


async def test_poll_shows_every_district(rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    secretary = await _secretary(rigs, tmp_path, db_url)
    await say(secretary, "/опрос", contains="Напишите вопрос")
    await say(secretary, "Где провести слёт?", contains="Варианты ответа")
    await say(secretary, "В Перми\nВ Кунгуре", contains="Сколько вариантов")
    await press(secretary, "Один вариант", contains="анонимный или именной")
    first = await press(secretary, "Именной", contains="Кого спрашиваем")
    assert [b.label for b in first.pressable][-1] == "✖️ Отменить"
    seen, last = await _page_through(secretary, first, "Кого спрашиваем")
    assert len(seen) == len(set(seen)) == DISTRICTS
    assert all(label.rsplit(" — ", 1)[1].isdigit() for label in seen)  # counts per button
    assert {"«", "‹"} <= {b.label for b in last.pressable}
    back = await press(secretary, "‹", contains="Кого спрашиваем", line=last)
    assert _districts(back) and _districts(back) != _districts(last)
    chosen = _districts(last)[-1]
    asked = await press(secretary, chosen, contains="До какого времени", line=last)
    assert chosen.rsplit(" — ", 1)[0] in asked.text


async def test_post_shows_every_district(rigs: list[Rig], tmp_path: Path, db_url: str) -> None:
    secretary = await _secretary(rigs, tmp_path, db_url)
    await say(secretary, "/post", contains="Новая рассылка")
    audience = await say(secretary, "Собрание профкома в пятницу", contains="Кому отправить")
    first = await press(secretary, "Район…", contains="Выберите район", line=audience)
    seen, last = await _page_through(secretary, first, "Выберите район")
    assert len(seen) == len(set(seen)) == DISTRICTS
    chosen = _districts(last)[0]
    when = await answer(secretary, lambda: secretary.press(chosen, last), contains="Когда")
    assert chosen.rsplit(" — ", 1)[0] in when.text
