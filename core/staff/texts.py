"""What the staff chat reads from the bot (Russian), in one place."""

QUESTION = ("❓ Вопрос №{id} — {name}\n{school}, {district} · {messenger}\n\n{text}\n\n"
            "Ответьте на это сообщение, и ответ уйдёт участнику в {messenger}.")
QUESTION_1TO1 = ("❓ Вопрос №{id} — {name}\n{school}, {district} · {messenger}\n\n{text}\n\n"
                 "Ответить: /answer {id} текст ответа")
ANSWER_TO_MEMBER = "Ответ профкома:\n{text}"
NOT_DELIVERED_BLOCKED = "Ответ на вопрос №{id} не доставлен: участник заблокировал бота."
NOT_DELIVERED = "Ответ на вопрос №{id} не доставлен: {error}"
REMINDER = "Доброе утро! Вопросы без ответа дольше суток ({count}):\n{lines}\n\nВсе: /inbox"
INBOX_LINE = "№{id} · {name} ({district}, {messenger}) · {day}: {text}"
INBOX = "Вопросы без ответа ({count}):\n{lines}\n\nОтветьте на сообщение с вопросом в этом чате."
INBOX_EMPTY = "Вопросов без ответа нет."
