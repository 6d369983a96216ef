"""Texts a member reads, in Russian, in one place (append only; each block names its owner)."""

from __future__ import annotations

# --- Viber adapter (bots/viber) ---------------------------------------------------------

# The welcome message Viber shows when a member opens the chat (conversation_started);
# the member is not subscribed until they write or press the button.
VIBER_WELCOME = (
    "Здравствуйте! Это канал профсоюза работников образования: новости, листовки и опросы. "
    "Чтобы получать сообщения, нажмите «Начать»."
)
VIBER_START_BUTTON = "Начать"
