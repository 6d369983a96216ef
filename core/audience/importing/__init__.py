"""The member file import: read a CSV or XLSX file (`source`), check each row (`rows`),
plan a batch against what is stored (`plan`), write it (`write`, through the batch's
`statements` on plain sqlite3 or SQLAlchemy Core), and report (`job.import_members`).

May import: core.audience (directory, roles), core.storage.
"""
