"""Access: who may do what from a messenger, and the audit log of what was done.

Owns: `rules` (roles, chat actions, the pure `authorise` rule and its table), `texts` (the
Russian refusals and role names), `grants` (roles bound to messenger accounts: grant,
revoke, list, `roles_of`), `audit` (writing and reading the audit log), `gate` (a chat
request checked against the roles read at that moment, its change and its audit entry in
one transaction).
May import: core.storage only — every other package may build on this one.
"""
