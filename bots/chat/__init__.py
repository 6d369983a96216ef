"""The platform-neutral chat-command layer: what staff do from the bot's private chat.

Owns: routing staff accounts' events away from the member dialogues (`router`), the durable
per-account chat state — the /post draft and the queue of events waiting for the chat
layer — kept in the `state` table (`drafts`), the /post dialogue as a small state machine,
one handler per step (`post`, `preview`; the districts a page at a time, shared with /poll:
`districts`), the management commands (`commands`), the Russian
texts (`texts`), and the service that handles queued events after the inbox's commit, with
its own connections, so no network call ever runs inside the inbox's write transaction
(`service`). Replies are core.ports Spans and Buttons: each adapter renders them.
May import: core, scheduler — nothing of the adapters or their SDKs.
"""
