"""The staff chat: its binding, the members' questions shown there and answered from there,
and the notices the bot posts in it. Imports only core.storage, core.audience,
core.sending and core.access."""
