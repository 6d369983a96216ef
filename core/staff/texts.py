"""What the staff chat reads from the bot (Russian), in one place."""

QUESTION = ("❓ Вопрос №{id} — {name}\n{school}, {district} · {messenger}\n\n{text}\n\n"
            "Ответьте на это сообщение, и ответ уйдёт участнику в {messenger}.")
QUESTION_1TO1 = ("❓ Вопрос №{id} — {name}\n{school}, {district} · {messenger}\n\n{text}\n\n"
                 "Ответить: /answer {id} текст ответа")
QUESTION_IN_TOPIC = ("❓ Вопрос №{id} — {name}\n{school}, {district} · {messenger}\n\n{text}\n\n"
                     "Ответьте на это сообщение или просто напишите в этой теме — ответ уйдёт "
                     "участнику в {messenger}.")
ANSWER_TO_MEMBER = "Ответ профкома:\n{text}"
QUESTION_FILE = "📎 К вопросу №{id}. Ответьте на это сообщение, и ответ уйдёт участнику."
QUESTION_FILE_1TO1 = "📎 К вопросу №{id}. Ответить: /answer {id} текст ответа"
CORRECTED = "Исправлено:"  # opens a corrected answer where the message cannot be edited
NOT_DELIVERED_BLOCKED = "Ответ на вопрос №{id} не доставлен: участник заблокировал бота."
NOT_DELIVERED = "Ответ на вопрос №{id} не доставлен: {error}"
REMINDER = "Доброе утро! Вопросы без ответа дольше суток ({count}):\n{lines}\n\nВсе: /inbox"
INBOX_LINE = "№{id} · {name} ({district}, {messenger}) · {day}: {text}"
INBOX = "Вопросы без ответа ({count}):\n{lines}\n\nОтветьте на сообщение с вопросом в этом чате."
INBOX_EMPTY = "Вопросов без ответа нет."
RUN_DONE = ("📬 Рассылка №{id} «{title}» завершена: дошло {reached} из {people} ({share}%)."
            "{gap}\n/report {id} — подробнее")
RUN_GAP = "\nНе дошло {count}, больше всего: {schools}."
RUN_GAP_SCHOOL = "{name} — {count}"
RUN_UNREACHABLE = "\nБез доступного мессенджера: {count}."
RUN_ALL_REACHED = "\nДошло всем."
CHANNEL_FAILED = ("⚠️ {title} не работает: {reason}. Рассылки и ответы через него ждут, "
                  "бот сам повторяет попытки. Подробности — в журнале rupor run.")
CHANNEL_RECOVERED = "✅ {title} снова работает: рассылки и ответы через него идут."
# What to check, by the failure's cause (bots.transport.StartCause).
CHANNEL_CHECK = {
    "token": "Проверьте токен бота в разделе [{section}] настроек: не отозван ли он, "
             "есть ли у бота права.",
    "network": "Проверьте доступ сервера в интернет; если у платформы сбой — ждать.",
    "webhook": "Проверьте [server] public_url: доступен ли сервер из интернета.",
}
BRIDGE_HEADER = "💬 {name} ({messenger}):"
BRIDGE_REPLY_HEADER = "💬 {name} ({messenger}), в ответ на «{quote}»:"
BRIDGE_SOMEONE = "сотрудник id{id}"
