"""Personal data (152-FZ): everything stored about one person, as JSON (`export`), and its
erasure on request (`erase`) — contacts and personal fields gone, delivery and vote rows
anonymised, reach figures kept; `tables` maps every column that can point at a person, so
neither misses a table; `consent` versions the consent text by its wording.

May import: core.storage, core.access (the audit log).
"""
