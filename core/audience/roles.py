"""Roles of a person, stored as a bit set; imports may name them in English or Russian."""

from __future__ import annotations

from enum import IntFlag

from core.audience.cells import shown


class Role(IntFlag):
    MEMBER = 1
    YOUNG_TEACHER = 2
    CHAIR = 4
    STAFF = 8
    PRESS = 16
    ADMIN = 32


ROLE_NAMES: dict[str, Role] = {
    "member": Role.MEMBER,
    "young_teacher": Role.YOUNG_TEACHER,
    "chair": Role.CHAIR,
    "staff": Role.STAFF,
    "press": Role.PRESS,
    "admin": Role.ADMIN,
    "член профсоюза": Role.MEMBER,
    "член": Role.MEMBER,
    "молодой педагог": Role.YOUNG_TEACHER,
    "председатель": Role.CHAIR,
    "председатель ппо": Role.CHAIR,
    "аппарат": Role.STAFF,
    "сотрудник аппарата": Role.STAFF,
    "пресс-служба": Role.PRESS,
    "пресс-секретарь": Role.PRESS,
    "администратор": Role.ADMIN,
}

RUSSIAN_NAMES: dict[Role, str] = {
    Role.MEMBER: "член профсоюза",
    Role.YOUNG_TEACHER: "молодой педагог",
    Role.CHAIR: "председатель",
    Role.STAFF: "аппарат",
    Role.PRESS: "пресс-служба",
    Role.ADMIN: "администратор",
}


def parse_role(name: str) -> Role:
    """One role by its English or Russian name, case- and space-insensitive."""
    key = " ".join(name.strip().lower().replace("ё", "е").split())
    role = ROLE_NAMES.get(key) or ROLE_NAMES.get(key.replace(" ", "_"))
    if role is None:
        known = ", ".join(sorted(n for n in ROLE_NAMES if n.isascii()))
        raise ValueError(
            f"неизвестная роль «{shown(name.strip())}» (известны: {known}, или их русские названия)"
        )
    return role


def parse_roles(text: str) -> Role:
    """Comma-separated role names; every person is at least a member."""
    roles = Role.MEMBER
    for part in text.split(","):
        if part.strip():
            roles |= parse_role(part)
    return roles


def role_names(roles: int) -> list[str]:
    return [name for name, role in ROLE_NAMES.items() if name.isascii() and roles & role]
