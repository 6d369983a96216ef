"""Write examples/members.csv: a synthetic regional union, the same for the same seed.

One regional organisation, six districts (four of Perm's city districts and two municipal
districts of Perm Krai) plus the regional committee's own staff, a few dozen schools and
kindergartens, a few hundred members with Russian names. Every person is invented.

    python examples/make_members.py [--seed 59] [--output examples/members.csv]
"""

from __future__ import annotations

import argparse
import base64
import csv
import random
from collections.abc import Callable, Iterator
from pathlib import Path

REGION = "Пермская краевая организация Профсоюза образования"
STAFF_ORG = "Аппарат краевой организации"
DISTRICTS: dict[str, list[str]] = {
    "Ленинский район": [
        "МАОУ «СОШ № 9 им. А. С. Пушкина»", "МАОУ «Гимназия № 3»", "МАОУ «Лицей № 10»",
        "МАДОУ «Детский сад № 5»", "МАДОУ «Детский сад № 109»", "МАОУ «СОШ № 22»",
    ],
    "Свердловский район": [
        "МАОУ «СОШ № 12»", "МАОУ «Гимназия № 4 им. братьев Каменских»", "МАОУ «СОШ № 77»",
        "МАДОУ «Детский сад № 35»", "МАОУ «Лицей № 1»", "МАДОУ «Детский сад № 261»",
        "МАОУ «СОШ № 107»",
    ],
    "Мотовилихинский район": [
        "МАОУ «СОШ № 42»", "МАОУ «СОШ № 81»", "МАОУ «Гимназия № 17»",
        "МАДОУ «Детский сад № 298»", "МАОУ «СОШ № 135»", "МАОУ «Лицей № 4»",
    ],
    "Индустриальный район": [
        "МАОУ «СОШ № 93»", "МАОУ «СОШ № 118»", "МАОУ «Гимназия № 6»",
        "МАДОУ «Детский сад № 394»", "МАОУ «СОШ № 134»",
    ],
    "Кунгурский муниципальный округ": [
        "МБОУ «Ергачинская СОШ»", "МБОУ «Голдыревская ООШ»", "МАОУ «Моховская СОШ»",
        "МБОУ «Филипповская СОШ»", "МБДОУ «Детский сад № 1 с. Усть-Турка»",
    ],
    "Чайковский городской округ": [
        "МАОУ «СОШ № 7»", "МАОУ «Гимназия»", "МБОУ «Фокинская СОШ»", "МБОУ «Ваньковская СОШ»",
        "МАДОУ «Детский сад № 14»", "МБОУ «Марковская ООШ»",
    ],
}

FEMALE = [
    "Анна", "Елена", "Ольга", "Наталья", "Татьяна", "Светлана", "Ирина", "Марина",
    "Екатерина", "Юлия", "Мария", "Людмила", "Галина", "Надежда", "Оксана", "Евгения",
    "Вера", "Любовь", "Валентина", "Лариса", "Нина", "Алла",
]
YOUNG_FEMALE = [
    "Дарья", "Анастасия", "Ксения", "Виктория", "Полина", "Софья", "Алина", "Кристина",
    "Валерия", "Алёна", "Арина", "Екатерина",
]
MALE = [
    "Александр", "Сергей", "Андрей", "Дмитрий", "Алексей", "Михаил", "Владимир", "Николай",
    "Иван", "Евгений", "Павел", "Игорь", "Олег", "Константин", "Виктор", "Юрий",
]
YOUNG_MALE = ["Артём", "Максим", "Никита", "Илья", "Кирилл", "Даниил", "Егор", "Матвей"]
# Father's name -> (son's, daughter's) patronymic.
PATRONYMICS = [
    ("Александрович", "Александровна"), ("Сергеевич", "Сергеевна"), ("Андреевич", "Андреевна"),
    ("Дмитриевич", "Дмитриевна"), ("Алексеевич", "Алексеевна"), ("Михайлович", "Михайловна"),
    ("Владимирович", "Владимировна"), ("Николаевич", "Николаевна"), ("Иванович", "Ивановна"),
    ("Евгеньевич", "Евгеньевна"), ("Павлович", "Павловна"), ("Игоревич", "Игоревна"),
    ("Олегович", "Олеговна"), ("Петрович", "Петровна"), ("Викторович", "Викторовна"),
    ("Юрьевич", "Юрьевна"), ("Анатольевич", "Анатольевна"), ("Васильевич", "Васильевна"),
    ("Геннадьевич", "Геннадьевна"), ("Валерьевич", "Валерьевна"), ("Борисович", "Борисовна"),
]
SURNAME_TEXT = (
    "Иванов Петров Смирнов Кузнецов Попов Васильев Соколов Михайлов Новиков Фёдоров Морозов "
    "Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев "
    "Макаров Никитин Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв "
    "Кузьмин Фролов Дмитриев Королёв Гусев Киселёв Ильин Максимов Поляков Сорокин Белов "
    "Медведев Антонов Тарасов Жуков Баранов Филиппов Комаров Давыдов Беляев Герасимов "
    "Богданов Осипов Сидоров Матвеев Титов Марков Миронов Крылов Куликов Карпов Власов "
    "Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов Савельев Фомин Чернов "
    "Пьянков Чазов Мокрушин Ширинкин Шилов Голдобин Кылосов Мальцев Пономарёв Вотинов "
    "Некрасов Шестаков Южаков Старцев Носков Бушуев Пермяков Лобанов Истомин Четин "
    "Вишневский Покровский Успенский Яблонский Луговской Шевченко Коваленко Черных Седых Ким"
)
SURNAMES = SURNAME_TEXT.split()


def female_surname(surname: str) -> str:
    """The wife's/daughter's form: Иванов -> Иванова, Покровский -> Покровская."""
    if surname.endswith(("ский", "ской")):
        return surname[:-2] + "ая"
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    return surname  # Шевченко, Черных, Ким do not change


def person_name(rng: random.Random, young: bool) -> str:
    female = rng.random() < 0.82  # four in five Russian teachers are women
    father = rng.choice(PATRONYMICS)
    surname = rng.choice(SURNAMES)
    if female:
        first = rng.choice(YOUNG_FEMALE if young else FEMALE)
        return f"{female_surname(surname)} {first} {father[1]}"
    return f"{surname} {rng.choice(YOUNG_MALE if young else MALE)} {father[0]}"


class Ids:
    """Unique messenger ids and union card numbers, drawn from realistic ranges."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.used = rng, set[str]()

    def _unique(self, make: Callable[[], str]) -> str:
        while True:
            value = make()
            if value not in self.used:
                self.used.add(value)
                return value

    def telegram(self) -> str:
        old = self.rng.random() < 0.4  # accounts from before 2021 have 9-digit ids
        low, high = (100_000_000, 999_999_999) if old else (1_000_000_000, 7_999_999_999)
        return self._unique(lambda: str(self.rng.randint(low, high)))

    def vk(self) -> str:
        number = self._unique(lambda: str(self.rng.randint(1_000_000, 850_000_000)))
        form = self.rng.random()
        # Spreadsheets hold VK ids as numbers, "id…" and profile links alike.
        return number if form < 0.7 else f"id{number}" if form < 0.8 else f"https://vk.com/id{number}"

    def viber(self) -> str:
        return self._unique(lambda: base64.b64encode(self.rng.randbytes(16)).decode())

    def member(self) -> str:
        return self._unique(lambda: f"59{self.rng.randint(0, 99_999_999):08d}")


CHANNEL_MIX = [  # (telegram, vk, viber), cumulative share of members
    ((False, False, False), 0.10), ((True, False, False), 0.48), ((False, True, False), 0.65),
    ((False, False, True), 0.80), ((True, True, False), 0.90), ((True, False, True), 0.96),
    ((False, True, True), 1.00),
]


def contacts(rng: random.Random, ids: Ids) -> list[str]:
    draw = rng.random()
    mix = next(channels for channels, share in CHANNEL_MIX if draw < share)
    makers = (ids.telegram, ids.vk, ids.viber)
    return [make() if wanted else "" for wanted, make in zip(mix, makers, strict=True)]


def member_row(
    rng: random.Random, ids: Ids, org_path: str, roles: list[str], tags: list[str]
) -> list[str]:
    name = person_name(rng, young="young_teacher" in roles)
    member_id = ids.member() if rng.random() < 0.88 else ""
    return [name, org_path, ",".join(roles), *contacts(rng, ids), member_id, ",".join(tags)]


def school_members(rng: random.Random, ids: Ids, org_path: str) -> Iterator[list[str]]:
    kindergarten = "Детский сад" in org_path
    size = rng.randint(6, 11) if kindergarten else rng.randint(9, 17)
    yield member_row(rng, ids, org_path, ["member", "chair"], ["профком"])
    for _ in range(size - 1):
        young = rng.random() < 0.16
        roles = ["member", "young_teacher"] if young else ["member"]
        tags = []
        if rng.random() < 0.2:
            tags.append("профком")
        if not young and rng.random() < 0.1:
            tags.append("наставник")
        if young and rng.random() < 0.3:
            tags.append("совет молодых педагогов")
        yield member_row(rng, ids, org_path, roles, tags)


def union_rows(seed: int) -> Iterator[list[str]]:
    rng = random.Random(seed)
    ids = Ids(rng)
    staff = f"{REGION}/{STAFF_ORG}"
    yield member_row(rng, ids, staff, ["member", "chair", "staff"], [])
    for roles in (["member", "staff", "press"], ["member", "press"], ["member", "staff", "admin"],
                  ["member", "staff"], ["member", "staff"]):
        yield member_row(rng, ids, staff, roles, [])
    for district, schools in DISTRICTS.items():
        yield member_row(rng, ids, f"{REGION}/{district}", ["member", "chair"], ["профком"])
        for school in schools:
            yield from school_members(rng, ids, f"{REGION}/{district}/{school}")


HEADER = ["full_name", "org_path", "roles", "telegram_id", "vk_id", "viber_id", "member_id", "tags"]


def write(path: Path, seed: int) -> int:
    with path.open("w", encoding="utf-8", newline="") as output:
        writer = csv.writer(output, lineterminator="\n")
        writer.writerow(HEADER)
        count = 0
        for row in union_rows(seed):
            writer.writerow(row)
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=59)
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("members.csv"))
    args = parser.parse_args()
    print(f"{args.output}: {write(args.output, args.seed)} members")


if __name__ == "__main__":
    main()
