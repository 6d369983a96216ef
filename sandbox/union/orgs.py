"""The union's tree: the region, its districts and their primary organisations.

Names follow the real Perm Krai pattern (city districts of Perm, municipal and city okrugs;
МАОУ «СОШ № 9», МАДОУ «Детский сад № 5», ГБПОУ «Кунгурский педагогический колледж»); the
organisations themselves are invented.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


STAFF_ORG = "Аппарат краевой организации"


@dataclass(frozen=True)
class District:
    name: str
    town: str  # adjective for colleges: "Пермский", "Кунгурский"
    city: bool  # a district of Perm: schools are numbered city-wide


DISTRICTS = (
    District("Ленинский район", "Пермский", True),
    District("Свердловский район", "Пермский", True),
    District("Кунгурский муниципальный округ", "Кунгурский", False),
    District("Мотовилихинский район", "Пермский", True),
    District("Чайковский городской округ", "Чайковский", False),
    District("Индустриальный район", "Пермский", True),
    District("Соликамский городской округ", "Соликамский", False),
    District("Дзержинский район", "Пермский", True),
    District("Березниковский городской округ", "Березниковский", False),
    District("Кировский район", "Пермский", True),
    District("Лысьвенский городской округ", "Лысьвенский", False),
    District("Орджоникидзевский район", "Пермский", True),
    District("Чусовской городской округ", "Чусовской", False),
    District("Краснокамский городской округ", "Краснокамский", False),
    District("Добрянский городской округ", "Добрянский", False),
    District("Осинский городской округ", "Осинский", False),
    District("Кудымкарский муниципальный округ", "Кудымкарский", False),
    District("Верещагинский городской округ", "Верещагинский", False),
    District("Чернушинский городской округ", "Чернушинский", False),
    District("Пермский муниципальный округ", "Пермский", False),
    District("Нытвенский городской округ", "Нытвенский", False),
    District("Губахинский муниципальный округ", "Губахинский", False),
    District("Очёрский городской округ", "Очёрский", False),
    District("Горнозаводский городской округ", "Горнозаводский", False),
)
VILLAGES = _words(
    "Ергачинская Голдыревская Моховская Филипповская Фокинская Ваньковская Марковская "
    "Серганская Зарубинская Плехановская Шадейская Бымовская Тихановская Ключевская "
    "Сылвенская Юговская Култаевская Лобановская Кондратовская Савинская Берёзовская "
    "Сосновская Октябрьская Полазненская Ильинская Карагайская Юсьвинская Усть-Туркинская "
    "Насадская Мазунинская Калининская Троицкая Никольская Васильевская Покровская"
)
KINDERGARTEN_NAMES = (
    "Солнышко",
    "Радуга",
    "Колокольчик",
    "Улыбка",
    "Берёзка",
    "Ромашка",
    "Сказка",
    "Теремок",
    "Светлячок",
    "Росинка",
    "Родничок",
    "Алёнушка",
    "Золотой ключик",
    "Журавушка",
    "Капелька",
    "Звёздочка",
)
COLLEGE_KINDS = (
    "педагогический колледж",
    "политехнический колледж",
    "колледж промышленных технологий",
    "многопрофильный техникум",
    "колледж транспорта и сервиса",
    "аграрно-технологический колледж",
)
KIND_WEIGHTS = (("school", 0.62), ("kindergarten", 0.28), ("college", 0.10))
# Relative sizes of staff: a college has more members than a school, a kindergarten fewer.
SIZE_WEIGHTS = {"school": 1.0, "kindergarten": 0.45, "college": 1.6}


@dataclass(frozen=True)
class PrimaryOrg:
    """A school, kindergarten or college: the leaf of the tree that members belong to."""

    district: str
    name: str
    kind: str


class _Namer:
    """Unique names per district; Perm's city schools and kindergartens share one numbering."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.city_numbers: dict[str, set[int]] = {"school": set(), "kindergarten": set()}
        self.used: set[tuple[str, str]] = set()

    def number(self, district: District, kind: str, top: int) -> int:
        pool = self.city_numbers[kind] if district.city else set()
        while True:
            value = self.rng.randint(1, top)
            if value not in pool:
                pool.add(value)
                return value

    def school(self, district: District) -> str:
        draw = self.rng.random()
        if not district.city and draw < 0.55:
            village = self.rng.choice(VILLAGES)
            return f"МБОУ «{village} {'ООШ' if self.rng.random() < 0.3 else 'СОШ'}»"
        # Perm has about 150 numbered schools; a town of an okrug a dozen or two.
        number = self.number(district, "school", 160 if district.city else 20)
        if draw > 0.9:
            return f"МАОУ «Гимназия № {number}»"
        if draw > 0.82:
            return f"МАОУ «Лицей № {number}»"
        if draw > 0.77:
            return f"МАОУ «СОШ № {number} с углублённым изучением отдельных предметов»"
        return f"МАОУ «СОШ № {number}»"

    def kindergarten(self, district: District) -> str:
        if self.rng.random() < 0.25:
            return f"МАДОУ «Детский сад «{self.rng.choice(KINDERGARTEN_NAMES)}»»"
        prefix = "МАДОУ" if district.city else "МБДОУ"
        top = 420 if district.city else 40
        return f"{prefix} «Детский сад № {self.number(district, 'kindergarten', top)}»"

    def college(self, district: District) -> str:
        kind = self.rng.choice(COLLEGE_KINDS)
        name = f"ГБПОУ «{district.town} {kind}»"
        if (district.name, name) in self.used:
            name = f"ГБПОУ «{district.town} {kind} № {self.rng.randint(2, 5)}»"
        return name

    def unique(self, district: District, kind: str) -> str:
        make = {"school": self.school, "kindergarten": self.kindergarten, "college": self.college}
        for _ in range(1000):
            name = make[kind](district)
            if (district.name, name) not in self.used:
                self.used.add((district.name, name))
                return name
        raise ValueError(f"ran out of {kind} names in {district.name}")


def choose_districts(count: int) -> tuple[District, ...]:
    if count > len(DISTRICTS):
        raise ValueError(f"в полигоне {len(DISTRICTS)} районов, а запрошено {count}")
    return DISTRICTS[:count]


def primary_orgs(
    rng: random.Random, districts: tuple[District, ...], count: int
) -> list[PrimaryOrg]:
    """`count` primary organisations spread over the districts (each gets at least one)."""
    namer = _Namer(rng)
    kinds = [kind for kind, _ in KIND_WEIGHTS]
    weights = [weight for _, weight in KIND_WEIGHTS]
    orgs: list[PrimaryOrg] = []
    for index in range(count):
        district = districts[index] if index < len(districts) else rng.choice(districts)
        kind = rng.choices(kinds, weights)[0]
        orgs.append(PrimaryOrg(district.name, namer.unique(district, kind), kind))
    order = {district.name: position for position, district in enumerate(districts)}
    return sorted(orgs, key=lambda org: order[org.district])
