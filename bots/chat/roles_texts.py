"""What the /grant, /revoke and /admins dialogues say, in Russian, in one place (refusals
are core.access.texts')."""

from __future__ import annotations

CANCEL = "✖️ Отменить"
GRANT_YES = "✅ Дать права"
REVOKE_YES = "✅ Снять права"

ASK_CHANNEL = "Выдача прав. В каком мессенджере аккаунт человека?"
ASK_ACCOUNT = {
    "telegram": (
        "Пришлите номер аккаунта Telegram (только цифры) или фамилию участника — я найду "
        "его среди подписчиков."
    ),
    "vk": "Пришлите номер страницы ВКонтакте (только цифры, без id) или фамилию участника.",
    "viber": "Пришлите идентификатор Viber или фамилию участника.",
}
NOT_FOUND = (
    "«{typed}» — не номер аккаунта, и среди подписчиков {channel} такого участника нет. "
    "Пришлите цифры, например 123456789, или фамилию."
)
PICK_PERSON = "Нашла {count}. Кому дать права?"
ASK_ROLE = "Какую роль дать: {who}?"
CONFIRM_GRANT = "Дать роль «{role}»: {who}?\nСможет: {can}."
GRANTED = "Готово: {who} — {role}. Теперь может: {can}. Снять — /revoke."
ALREADY = "У {who} роль «{role}» уже есть — ничего не изменилось. Теперь может: {can}."
PRESS_BUTTON = "Выберите кнопкой выше или нажмите «Отменить»."
CANCELLED = "Отменено: права не менялись."
STALE = "Эта кнопка уже не действует. Права — /grant, /revoke, /admins."

NO_GRANTS = "Ни у кого нет прав. Выдать — /grant."
ASK_REVOKE = "Чьи права снять?"
CONFIRM_REVOKE = "Снять роль «{role}»: {who}?"
REVOKED = "Готово: у {who} больше нет роли «{role}»."
NOTHING_TO_REVOKE = "У {who} роли «{role}» уже нет — ничего не изменилось."
OWN_ADMIN = (
    "Свою роль администратора из чата снять нельзя, чтобы не остаться без администратора: "
    "rupor admins remove на сервере."
)

ADMINS_HEAD = "Права в боте:"
ADMINS_LINE = "• {who} — {role}"

ROLE_BUTTONS = {"press": "Пресс-секретарь", "staff": "Сотрудник аппарата",
                "admin": "Администратор"}
CAN = {
    "press": (
        "готовить и отправлять рассылки и опросы (/post, /poll), смотреть и менять план "
        "(/plan, /cancel, /pause), отчёты (/report, /audience)"
    ),
    "staff": (
        "отвечать на вопросы участников (/inbox, /answer), сдавать отчёт за месяц (/отчёт), "
        "смотреть отчёты (/report, /audience)"
    ),
    "admin": "всё: рассылки, ответы, отчёты и выдачу прав (/grant, /revoke, /admins)",
}
