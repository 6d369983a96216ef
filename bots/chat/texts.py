"""Everything the chat layer says, in Russian, in one place."""

from __future__ import annotations

# Buttons
SEND = "✅ Отправить"
EDIT_TEXT = "✏️ Изменить текст"
EDIT_AUDIENCE = "👥 Изменить получателей"
EDIT_WHEN = "🕒 Изменить время"
CANCEL = "✖️ Отменить"
NOW = "Сейчас"
WHOLE_REGION = "Весь регион — {count}"
DISTRICTS = "Район…"
YOUNG = "Молодые педагоги — {count}"
STAFF = "Аппарат — {count}"
TYPE_SEGMENT = "Ввести условие…"
DISTRICT = "{name} — {count}"
FIRST_PAGE = "«"  # paging through districts (bots.chat.districts)
PREVIOUS_PAGE = "‹"
NEXT_PAGE = "Далее ›"
BACK = "← Назад"

# The /post dialogue
ASK_CONTENT = (
    "Новая рассылка. Пришлите текст, листовку (PDF) или картинку с подписью.\n"
    "Разметка: **жирный**, __курсив__, [ссылка](https://…)."
)
ASK_AUDIENCE = "Кому отправить? Число — сколько человек в списке сейчас."
ASK_DISTRICT = "Выберите район:"
ASK_SEGMENT = (
    "Напишите условие: all — всем, или org:…, role:…, tag:…, channel:…\n"
    "Например: role:young_teacher"
)
ASK_WHEN = (
    "Получатели: {audience}.\nКогда отправить? Нажмите «Сейчас» или напишите, например: "
    "«завтра в 10:00», «в пятницу в 18:30», «каждый месяц 1-го числа в 10:00»."
)
WHEN_WRONG = "{error}\nНапишите время ещё раз или нажмите «Сейчас»."
FETCHING = "Получила файл, проверяю…"
FILE_TROUBLE = "Не удалось получить файл из мессенджера ({reason}). Пришлите его ещё раз."
FILE_NOT_HERE = (
    "Здесь файлы в рассылку не принимаются: пришлите текст, а листовку — через Telegram "
    "или командой rupor post --file."
)
NEED_CONTENT = "Пришлите текст, листовку (PDF) или картинку с подписью — или /cancel."
PREVIEW_HEAD = "Так рассылку увидят получатели — сообщение выше. Проверьте:"
PREVIEW = (
    "Получатели: {audience}.\n"
    "Когда: {when}.\n"
    "{per_channel}\n"
    "Без доступного мессенджера: {unreachable}.\n"
    "Отправка займёт {duration} (на пределе скорости мессенджеров).\n"
    "Отправить?"
)
PREVIEW_CHANNEL = "• {channel}: {count}"
PREVIEW_FAILED = (
    "Предпросмотр не отправился ({reason}). Проверьте текст или файл: «Изменить текст»."
)
CREATED_NOW = (
    "Рассылка №{id} создана и уже отправляется: {count} чел. Ход — /plan, "
    "отчёт о доходимости — /report {id}, остановить — /cancel {id}."
)
CREATED_LATER = (
    "Рассылка №{id} создана: уйдёт {when}. Список — /plan, отменить — /cancel {id}."
)
CREATE_FAILED = "Рассылку создать не удалось: {reason}"
DRAFT_CANCELLED = "Черновик рассылки удалён. Новая рассылка — /post."
DRAFT_EXPIRED = (
    "Черновик рассылки устарел (больше суток без ответа) и удалён. Начните заново: /post."
)
NO_DRAFT = "Черновика нет. Новая рассылка — /post."
STALE_BUTTON = "Эта кнопка уже не действует. Новая рассылка — /post, все команды — /help."
IN_DIALOGUE = "Сейчас идёт подготовка рассылки: {what} Или /cancel — удалить черновик."
ONLY_PRIVATE = "Команды рассылки работают только в личном чате с ботом."
FAILED = (
    "Не получилось выполнить команду: ошибка на сервере, она записана в журнал. "
    "Попробуйте ещё раз."
)

# Management
PLAN_EMPTY = "Запланированных и идущих рассылок нет. Новая — /post."
PLAN_HEAD = "Рассылки:"
PLAN_RUNNING = "№{id} «{title}» — идёт: отправлено {done} из {total}"
PLAN_SCHEDULED = "№{id} «{title}» — {schedule}"
PLAN_PAUSED = "№{id} «{title}» — на паузе"
CANCELLED = "Рассылка №{id} отменена; не будут отправлены: {count}."
PAUSED = "Рассылка №{id} на паузе; ждут отправки: {count}. Продолжить — /resume {id}."
RESUMED = "Рассылка №{id} продолжена; снова в очереди: {count}."
NEEDS_ID = "Укажите номер рассылки, например: /{command} 12. Номера — в /plan."
BAD_ID = "«{value}» — не номер рассылки. Например: /{command} 12. Номера — в /plan."
NO_REPORT = "Рассылка №{id} ещё не запускалась: отчёта пока нет."
NO_CAMPAIGN = "Рассылки №{id} нет. Номера — в /plan."
CHART_CAPTION = "Доходимость рассылки №{id} по районам"
AUDIENCE_HEAD = "Аудитория: {members} человек, без доступного мессенджера — {unreachable}."
AUDIENCE_CHANNEL = "{channel}: {count}"
AUDIENCE_ROLES = "Молодые педагоги: {young}; аппарат: {staff}."
UNKNOWN_COMMAND = "Команды /{command} нет. Что можно — /help."

# /resend and what the scheduler tells the press secretary
RESENT = (
    "Рассылка №{id} отправляется заново: запуск №{run}, {count} чел. Ход — /plan, "
    "отчёт — /report {id}."
)
RESEND_REFUSED = {
    "cancelled": "Рассылка №{id} отменена — её не отправить. Новая — /post.",
    "paused": "Рассылка №{id} на паузе. Продолжить — /resume {id}.",
    "running": "Рассылка №{id} ещё отправляется. Ход — /plan.",
    "draft": "Рассылка №{id} — черновик, она ещё не создана до конца.",
}
MISSED = (
    "Рассылка №{id} «{title}» не отправлена: запуск на {when} пропущен — сервер был "
    "выключен дольше допустимого ({limit}). Отправить сейчас: /resend {id}"
)
HELD = "Рассылка №{id} «{title}» будет отправлена в {at} — сейчас тихие часы."

HELP_HEAD = "Что вы можете здесь сделать:"
HELP_LINES = {
    "post": "/post — новая рассылка: текст или листовка, получатели, время, предпросмотр",
    "report_plan": "/plan — запланированные и идущие рассылки",
    "cancel": "/cancel 12 — отменить рассылку (и остановить идущую)",
    "pause": "/pause 12, /resume 12 — пауза и продолжение",
    "report": "/report 12 — доходимость рассылки с диаграммой",
    "audience": "/audience — сколько людей и где их можно достичь",
    "resend": "/resend 12 — отправить рассылку заново сейчас (например, пропущенную)",
    "poll": "/poll — опрос совета молодых педагогов: вопрос, варианты, срок, предпросмотр",
    "results": "/results 3 — итоги опроса сейчас, с диаграммой",
    "roles": "/grant, /revoke — выдать и снять права; /admins — у кого они есть",
}
HELP_MEMBER = "/stop — отписаться, /link — подключить второй мессенджер."

CHANNEL_NAMES = {"telegram": "Telegram", "vk": "ВКонтакте", "viber": "Viber"}

# The union's public pages /post may also post to (bots/chat/public.py)
PAGE_BUTTONS = {"channel": "Канал Telegram", "wall": "Стена сообщества VK"}
PAGE_OFF, PAGE_ON = "＋ {label}", "✅ {label}"
PAGE_SHORT = {"channel": "канал", "wall": "стена"}
PAGES_CHOSEN = "Также: {pages}. Нажмите ещё раз, чтобы убрать."
PAGE_PREVIEW = {"channel": "пост в канале {chat}", "wall": "на стене сообщества"}
ALSO = "Также: {pages}."
PAGE_DONE = {"channel": "Пост в канале опубликован.",
             "wall": "Пост на стене сообщества опубликован."}
PAGE_PENDING = {"channel": "Пост в канале публикуется — о результате сообщу отдельно.",
                "wall": "Пост на стене сообщества публикуется — о результате сообщу отдельно."}
RUN_PAGES = "Рассылка №{id} «{title}», запуск {when}:"
PAGE_FAILED = {"channel": "Пост в канале не опубликован: {reason}.",
               "wall": "Пост на стене сообщества не опубликован: {reason}."}
AUDIENCE_LABELS = {"all": "весь регион", "young": "молодые педагоги", "staff": "аппарат"}


def duration(seconds: float) -> str:
    """"меньше минуты", "3 мин", "1 ч 20 мин"."""
    if seconds < 60:
        return "меньше минуты"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"около {minutes} мин"
    hours, rest = divmod(minutes, 60)
    return f"около {hours} ч {rest} мин" if rest else f"около {hours} ч"


def limit_text(minutes: int) -> str:
    """"6 ч", "90 мин" → "1 ч 30 мин", "45 мин"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} мин"
    return f"{hours} ч {rest} мин" if rest else f"{hours} ч"