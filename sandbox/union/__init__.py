"""A simulated union for the sandbox: seeded members with Russian names, their messenger
accounts registered in the emulators, their reactions to the bot, and the members file.

    union = Union.generate(UnionKnobs(seed=1, districts=5, schools=60, members=3000))
    await union.attach(telegram=tg, telegram_token=TOKEN, vk=vk, viber=viber)  # serving
    union.write_members_csv(path)        # for `rupor audience import`: the same people
    live = await union.live(LiveRates(read=0.8, press=0.5))   # members react to the bot
    union.member(3).start(invite="p1a2b3c4d5e6f")              # scripted actions
    union.find("tg:123456789").press(1)
    union.stats()                        # each emulator's stats() + summary + members' acts
    await union.stop()

Population (UnionKnobs): one region (REGION), `districts` districts, `schools` primary
organisations (schools, kindergartens, colleges), `staff` people of the regional
committee's staff; one chair per primary organisation and per district; young teachers;
union card numbers (member_id); tags. Each member uses Telegram, VK, Viber, two of them or
none (share_* knobs); each account is active, or left (Telegram blocked the bot, VK denied
messages, Viber unsubscribed), deactivated, or unjoined (not in the members file; it may
join later with Actor.start).

attach() registers accounts as the platforms would hold them for members who joined long
ago: Telegram started the bot (the /start updates are dropped, as consumed by an earlier
system), VK allowed messages, Viber subscribed.

Behaviour (LiveRates, all 0 unless set): for each bot message a member got, Viber
delivered and seen callbacks, VK message_read, a press of an offered button (consent and
"yes" preferred), a vote in a Telegram poll or VK poll attachment, a question in Russian,
a block / deny / unsubscribe; delays drawn from the seeded RNG. Actor (union.member(i),
union.find("vk:42")) acts on demand: chat(), start(invite), say(text), press(n|label),
vote(n|label), read(), block(); a refused action raises ActionError.
"""

from .actor import Actor
from .chat import ActionError, Button, ChatLine
from .knobs import REGION, LiveRates, UnionKnobs
from .live import Live
from .population import Account, Person
from .union import Union

__all__ = [
    "REGION",
    "Account",
    "ActionError",
    "Actor",
    "Button",
    "ChatLine",
    "Live",
    "LiveRates",
    "Person",
    "Union",
    "UnionKnobs",
]
