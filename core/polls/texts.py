"""What members and the press secretary read about polls, in Russian, in one place."""

from __future__ import annotations

VOTED = "Ваш голос учтён: {choice}. Передумаете — нажмите другой вариант."
VOTED_MULTIPLE = "Ваш выбор: {choice}. Нажмите вариант ещё раз, чтобы убрать его."
WITHDRAWN = "Ваш голос отозван. Можно проголосовать снова, пока опрос открыт."
CHOICE_LINE = "Ваш выбор: {choice}"
NO_CHOICE_LINE = "Вы пока не голосовали."
CLOSED = "Опрос «{question}» завершён, голоса больше не принимаются. Спасибо!"
REMINDER = (
    "Напоминаем об опросе совета молодых педагогов: «{question}». "
    "Ответить можно до {deadline} — на сообщение с опросом выше."
)
REMINDER_BUTTONS = "Напоминаем об опросе: «{question}». Ответить можно до {deadline}:"

# Refusals when a poll is created (PollError).
QUESTION_EMPTY = "Вопрос пустой: напишите, о чём спрашиваем."
QUESTION_LONG = "Вопрос длиннее {limit} знаков ({length}): сократите его."
OPTIONS_COUNT = "Вариантов ответа должно быть от {low} до {high}, а их {count}."
OPTION_EMPTY = "Вариант №{index} пустой."
OPTION_LONG = "Вариант №{index} длиннее {limit} знаков ({length}): сократите его."
OPTION_TWICE = "Вариант «{option}» повторяется."
DEADLINE_PASSED = "Срок опроса уже прошёл: укажите время в будущем."
DEADLINE_BEFORE_START = "Опрос закрывается раньше, чем начнётся: проверьте --until и --at."
REMIND_OUTSIDE = "Напоминание должно быть после начала и до закрытия опроса."
NOT_FOUND = "Опроса №{poll_id} нет."
ALREADY_CLOSED = "Опрос №{poll_id} уже завершён."

# Results.
RESULTS_TITLE = "Опрос №{poll_id}: «{question}»"
TURNOUT = "Проголосовали {voters} из {reached} получивших опрос ({share})."
ANONYMOUS_NOTE = "Опрос анонимный: в результатах нет ни одного имени."
OPEN_UNTIL = "Открыт до {deadline}."
CLOSED_AT = "Завершён {closed}."
NO_DISTRICT = "вне районов"
RESULTS_FOR_MEMBERS = "Итоги опроса совета молодых педагогов. Спасибо всем, кто ответил!"
CHART_HINT = "Итоги с диаграммой в любой момент — /results {poll_id}."

# What the scheduler's log says.
CLOSED_LOG = "опрос №{poll_id} завершён: проголосовали {voters} из {reached}"
REMINDED_LOG = "опрос №{poll_id}: напоминание ушло {count} не проголосовавшим"
