"""What people read about the digest (Russian), in one place: the PDF's headings, the
/отчёт dialogue, the reminder, the approval in the staff chat, the command line."""

TITLE = "Информационный сборник"
SUBTITLE = "о работе аппарата за {month}"
COMPILED = "Составлен {date}"
CONTENTS = "Содержание"
REPORTS = "Отчёты сотрудников аппарата"
NO_REPORTS = "Отчётов за этот месяц нет."
REPORT_DATE = "Отчёт от {date}"
FILES = "Файлы: {names}"
CAMPAIGNS = "Рассылки месяца и их доходимость"
NO_CAMPAIGNS = "Рассылок в этом месяце не было."
CAMPAIGN_COLUMNS = ("Рассылка", "Дата", "Адресатов", "Дошло", "%")
NOT_SENT = "ещё не отправлялась"
CAMPAIGN_CHART = "№{id} «{title}»: доля дошедших по районам"
POLLS = "Опросы и их итоги"
NO_POLLS = "Опросов, завершённых в этом месяце, не было."
POLL_HEAD = "Опрос №{id}: {question}"
POLL_COLUMNS = ("Вариант ответа", "Голосов", "%")
POLL_TURNOUT = "Проголосовали {voters} из {reached} получивших опрос ({share})."
PAGE = "— {page} —"

# /отчёт in the bot's private chat
ASK_REPORT = ("Отчёт за {month}. Пришлите текст отчёта, файлы или фото — можно несколькими "
              "сообщениями; /готово — закончить.")
ADDED = "Добавлено ({parts}). Ещё что-нибудь — или /готово."
NOTHING_YET = "Пока ничего нет: пришлите текст отчёта, файлы или фото."
SUMMARY = ("Ваш отчёт за {month}:\n\n{text}\n\nФайлов: {files}{names}.\nСохранить его для "
           "Информационного сборника?")
SAVE, CANCEL = "✅ Сохранить", "✖️ Отменить"
SAVED = ("Отчёт за {month} сохранён — он войдёт в Информационный сборник 1-го числа. "
         "Дополнить — снова /отчёт.")
CANCELLED = "Отчёт не сохранён."
IN_REPORT = "Сейчас вы пишете отчёт: пришлите текст, файл или фото, /готово — закончить."
FILE_TROUBLE = "Файл не удалось получить: {reason}. Пришлите его ещё раз."
FILE_NOT_HERE = "Файлы отсюда пока не принимаются — опишите их текстом."

# The monthly jobs and the approval
REMINDER = ("Напоминание: до конца месяца пришлите отчёт о работе за {month} — /отчёт. "
            "1-го числа из отчётов соберётся Информационный сборник.")
DIGEST_READY = ("Информационный сборник за {month}: отчётов — {reports}, рассылок — "
                "{campaigns}, опросов — {polls}. Разослать членам профсоюза?")
APPROVE, REJECT = "✅ Одобрить и разослать", "Не рассылать"
APPROVED = ("Сборник за {month} одобрен ({who}): рассылка №{id} уже отправляется, "
            "{count} чел. Отчёт — /report {id}.")
ALREADY = "Сборник за {month} уже разослан: рассылка №{id}."
REJECTED = "Сборник за {month} рассылать не будем ({who})."
NO_DIGEST = "Сборника за {month} нет — его можно собрать заново: rupor digest build."
CAPTION = "Информационный сборник за {month}"
LEAFLET_TEXT = "**Информационный сборник** за {month}: работа аппарата, рассылки и опросы."
