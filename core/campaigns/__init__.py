"""Campaigns: what the press office sends and to whom — a post's or leaflet's content and its
markup (`content`), its file kept once (`media`), creating and cancelling a campaign
(`store`), when a scheduled run may start — quiet hours, lateness (`schedule`, pure) — and
the scheduled campaigns as the scheduler reads them, pausing and resuming (`scheduled`).
Approvals come here next.

May import: core.access (the audit log), core.audience (segments), core.storage,
core.ports.
"""
