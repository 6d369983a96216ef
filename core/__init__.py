"""The domain and the message queue, a package per capability; no messenger SDK, no aiohttp.

- `ports` — what core needs from a messenger (Channel, Outbound, InboundEvent, results);
- `config` — the settings object, built once by the composition root;
- `storage/` — engine, models, schema (everything else builds on it);
- `audience/` — organisations, people, contacts, roles, segments, the member import;
- `campaigns/` — content, media, creating and cancelling campaigns;
- `sending/` — runs, the queue, the paced sender per channel, replies;
- `inbound/` — the inbox and the member dialogues;
- `reach/` — who was reached.

Imports point down this list's dependency order: storage <- audience <- campaigns <-
sending <- inbound; reach reads storage only. No package imports one that imports it.
"""
