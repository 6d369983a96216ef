"""Campaigns: what the press office sends and to whom — a post's or leaflet's content and its
markup (`content`), its file kept once (`media`), creating and cancelling a campaign
(`store`). Schedules and approvals come here next.

May import: core.access (the audit log), core.audience (segments), core.storage,
core.ports.
"""
