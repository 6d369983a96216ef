"""Inbound: every update from a member stored once and handled (`inbox`, with its batch
`statements` on plain sqlite3 or SQLAlchemy Core and the stored form of events in `store`),
and the member dialogues it drives — joining with consent, choosing one's school, leaving,
coming back, linking a second messenger, writing to the union (`dialogs`,
`dialogs_batch`).

May import: core.audience (members), core.sending (queued replies), core.storage,
core.ports.
"""
