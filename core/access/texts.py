"""What people read about access, in Russian, in one place: refusals and role names.

Keyed by the plain names of `rules`' roles and refusals (they are str enums), so the rule
reads these texts without the texts importing the rule."""

from __future__ import annotations

ROLE_TITLES: dict[str, str] = {
    "admin": "администратор",
    "press": "пресс-секретарь",
    "staff": "сотрудник аппарата",
}

REFUSALS: dict[str, str] = {
    "anonymous": (
        "Анонимным администраторам группы команды недоступны: напишите от своего имени."
    ),
    "forwarded": "Пересланные команды не выполняются: отправьте команду сами.",
    "not_dialogue_owner": "Эту кнопку может нажать только тот, кто начал диалог.",
    "role_revoked": "У вас больше нет прав на это действие.",
}

# A command someone without the right role sent, by the roles other than admin that may.
ONLY_FOR: dict[frozenset[str], str] = {
    frozenset({"press"}): "Эта команда — только для пресс-секретаря.",
    frozenset({"staff"}): "Эта команда — только для сотрудников аппарата.",
    frozenset({"press", "staff"}): (
        "Эта команда — только для пресс-секретаря и сотрудников аппарата."
    ),
    frozenset(): "Эта команда — только для администратора.",
}
