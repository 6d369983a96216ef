"""Texts a member reads, in Russian, in one place (append only; each block names its owner)."""

from __future__ import annotations

from core.inbound.dialogs import DialogTexts
from core.inbound.erasure import ErasureTexts
from core.privacy.consent import text_version

# --- Viber adapter (bots/viber) ---------------------------------------------------------

# The welcome message Viber shows when a member opens the chat (conversation_started);
# the member is not subscribed until they write or press the button.
VIBER_WELCOME = (
    "Здравствуйте! Это канал профсоюза работников образования: новости, листовки и опросы. "
    "Чтобы получать сообщения, нажмите «Начать»."
)
VIBER_START_BUTTON = "Начать"


# --- Member dialogues (core/inbound/dialogs.py, lead) -----------------------------------------

# The consent question; its version in the consent log is this label plus a hash of the
# wording (core.privacy.consent), so changing the text changes the version by itself.
CONSENT = (
    "Чтобы присылать вам сообщения, нам нужно ваше согласие на обработку "
    "персональных данных: имени, места работы и идентификатора в мессенджере. "
    "Данные используются только для информирования членов профсоюза и не передаются "
    "третьим лицам. Отозвать согласие можно в любой момент командой /stop, "
    "удалить все свои данные — командой /delete_me."
)

DIALOG = DialogTexts(
    consent_version=text_version("pd-consent-2026-11", CONSENT),
    greeting=(
        "Здравствуйте! Это информационный канал профсоюза работников образования: "
        "новости, ежемесячные листовки, опросы Совета молодых педагогов — и связь с "
        "профкомом: сюда можно написать вопрос."
    ),
    consent=CONSENT,
    consent_yes="Согласен(на)",
    consent_no="Не согласен(на)",
    consent_declined=(
        "Хорошо, без согласия мы не будем присылать вам сообщения. "
        "Передумаете — отправьте /start."
    ),
    consent_given_note="✅ Вы согласились на обработку персональных данных.",
    consent_refused_note="✖️ Вы не дали согласия на обработку персональных данных.",
    consent_already="Ваш ответ уже записан — нажимать ещё раз не нужно.",
    choose_district="Выберите ваш район или округ:",
    choose_school="Выберите вашу организацию (школу, детский сад, колледж):",
    more="Ещё ›",
    back="‹ Назад",
    invite_found="Ваша организация: {org}.",
    ask_name="Напишите, пожалуйста, ваши фамилию, имя и отчество — как в профсоюзном билете.",
    bad_name=(
        "Не получилось разобрать. Напишите фамилию, имя и отчество словами, "
        "например: Иванова Мария Петровна."
    ),
    ask_young="Вы молодой педагог (до 35 лет)? Тогда вы будете получать опросы "
              "Совета молодых педагогов.",
    yes="Да",
    no="Нет",
    done="Готово! Вы подписаны на новости профсоюза ({org}). "
         "Отписаться можно в любой момент кнопкой ниже или командой /stop.",
    already="Вы уже подписаны ({org}). Вопрос профкому можно написать прямо сюда.",
    stop_button="Отписаться",
    stopped="Вы отписались и больше не будете получать рассылки. "
            "Вернуться можно кнопкой ниже.",
    resubscribe_button="Подписаться снова",
    resubscribed="С возвращением! Рассылки снова будут приходить сюда.",
    link_code="Ваш код: {code}. Отправьте в другом мессенджере: /link {code} "
              "(код действует {minutes} минут).",
    link_done="Мессенджеры связаны: теперь это один подписчик, и сообщения учитываются "
              "для вас один раз.",
    link_bad="Код не подошёл: он неверный, уже использован или устарел. "
             "Получите новый командой /link в том мессенджере, где вы уже подписаны.",
    link_first="Сначала подпишитесь (/start), затем получите код командой /link.",
    feedback_thanks="Спасибо! Ваше сообщение передано в профком, ответ придёт сюда.",
    feedback_thanks_former=(
        "Спасибо! Ваше сообщение передано в профком, ответ придёт сюда. "
        "Рассылки вам сейчас не приходят — вернуться к ним можно кнопкой ниже."
    ),
    question_edited="✏️ Участник исправил своё сообщение: {text}",
    help="Команды: /start — подписаться, /stop — отписаться, /link — связать "
         "второй мессенджер, /delete_me — удалить все свои данные. "
         "Вопрос профкому можно написать обычным сообщением.",
    no_orgs="Список организаций пока пуст — обратитесь в профком.",
    erase=ErasureTexts(
        ask=(
            "Удалить все ваши данные? Мы удалим ваше имя, номер профсоюзного билета, "
            "подписки во всех мессенджерах и ваши сообщения профкому. Рассылки "
            "приходить перестанут. В отчётах о рассылках останутся только обезличенные "
            "цифры. Отменить удаление будет нельзя."
        ),
        yes="Да, удалить",
        no="Отмена",
        cancelled="Хорошо, ничего не удаляем. Вы по-прежнему с нами.",
        goodbye=(
            "Ваши данные удалены. Это последнее сообщение от нас. "
            "Если захотите вернуться — просто нажмите /start."
        ),
    ),
)


# --- VK adapter (bots/vk) ---------------------------------------------------------------

# Under a poll sent as a message with one button per option, when several may be chosen.
VK_POLL_MULTIPLE = "Можно выбрать несколько вариантов — нажмите на каждый."


# --- Invites (bots/invites.py): the printable page of QR codes per organisation ----------

INVITES_CHANNEL_NAMES = {"telegram": "Telegram", "vk": "ВКонтакте", "viber": "Viber"}
INVITES_HTML_HEAD = (
    "<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\">"
    "<title>Приглашения в рассылку профсоюза</title>"
    "<style>body{font-family:sans-serif}.card{page-break-inside:avoid;margin:1em 0;"
    "border-bottom:1px solid #ccc}.qr{display:inline-block;margin:0 1em;text-align:center}"
    ".qr img{width:180px;height:180px}.link{font-size:smaller;word-break:break-all}</style>"
    "</head><body><h1>Подпишитесь на новости профсоюза</h1>"
    "<p>Наведите камеру телефона на код вашего мессенджера.</p>"
)
INVITES_HTML_CARD = "<div class=\"card\"><h2>{name}</h2><p>{path}</p>{cells}</div>"
INVITES_HTML_CELL = (
    "<div class=\"qr\"><img src=\"{qr}\" alt=\"{channel}\"><div>{channel}</div>"
    "<div class=\"link\">{link}</div></div>"
)
INVITES_HTML_TAIL = "</body></html>"


# --- Member attachments in the feedback inbox (bots/attachments.py) ----------------------

# What the staff read in the inbox for a file or object a member sent; `kind` is the
# adapters' common name for it, detail (file name, duration, emoji) is added when known.
ATTACHMENT_LABELS = {
    "photo": "фото",
    "document": "документ",
    "voice": "голосовое сообщение",
    "audio": "аудио",
    "video": "видео",
    "video_note": "видеосообщение",
    "animation": "GIF-анимация",
    "sticker": "стикер",
    "location": "геопозиция",
    "contact": "контакт",
    "poll": "опрос",
    "wall": "запись со стены",
    "link": "ссылка",
    "other": "вложение",
}
# "[документ: zayavlenie.pdf]", "[голосовое сообщение, 0:12]", "[стикер 👍]"
ATTACHMENT_WITH_DETAIL = {"voice": "[{label}, {detail}]", "audio": "[{label}, {detail}]",
                          "video": "[{label}, {detail}]", "video_note": "[{label}, {detail}]",
                          "sticker": "[{label} {detail}]"}
ATTACHMENT_DETAIL_DEFAULT = "[{label}: {detail}]"
