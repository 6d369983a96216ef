"""Sending: a campaign's run materialised into deliveries (`runs`), the deliveries table as
the message queue (`outbox`: claim, record, recover), what a run sends per channel
(`plan`), one paced sender per channel (`dispatch`, `ratelimit`), replies to members
through the same pacer (`replies`), and a recording fake channel (`recording`), and a scheduled slot
coming due (`fire`: start its run once, hold it, or record it missed).

May import: core.campaigns, core.audience, core.storage, core.ports.
"""
