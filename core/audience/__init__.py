"""The audience: the union's tree of organisations, its people and their roles and tags,
each person's messenger contacts and their status, segments (who a campaign is for), the
member file import, and counts per district and channel.

Owns: `directory` (organisations, people, contacts), `members` (joining, consent, linking,
leaving, receipts on a contact), `contacts` (blocked or unsubscribed contacts), `roles`,
`segments`, `stats`, `importing/` (CSV and XLSX member files), `cells` (how a reason quotes
a file's cell).
May import: core.storage, core.ports, core.config.
"""
