"""Where a person can be found in the schema: for every table, the columns that point at a
person and how (export and erase walk this map; a test fails on a table it misses).

Kinds: "person" — people.id; "contact" — one of their contacts' ids; "voter" — a poll
voter key ("p:<person>", "c:<contact>"); "account" — a bare messenger id, next to the
table's `channel` column; "actor" — "<channel>:<messenger id>" as the chat layer writes
who did something; "sender" — a stored event's JSON sender (inbound rows of an account
that was never linked to the feedback inbox carry no contact_id).
"""

from __future__ import annotations

PERSON, CONTACT, VOTER, ACCOUNT, ACTOR = "person", "contact", "voter", "account", "actor"
SENDER = "sender"

# table -> {column: kind}
FINDERS: dict[str, dict[str, str]] = {
    "people": {"id": PERSON},
    "person_tags": {"person_id": PERSON},
    "contacts": {"person_id": PERSON},
    "consents": {"person_id": PERSON, "contact_id": CONTACT},
    "deliveries": {"person_id": PERSON, "contact_id": CONTACT},
    "votes": {"person_id": PERSON, "contact_id": CONTACT, "voter": VOTER},
    "poll_voters": {"voter": VOTER},
    "poll_messages": {"contact_id": CONTACT},
    "poll_pending_votes": {"contact_id": CONTACT},
    "link_codes": {"person_id": PERSON},
    "inbound": {"contact_id": CONTACT, "event": SENDER, "answered_by": ACTOR},
    "replies": {"contact_id": CONTACT},
    "admin_grants": {"external_id": ACCOUNT, "granted_by": ACTOR},
    "audit": {"actor": ACCOUNT},
    "campaigns": {"created_by": ACTOR, "approved_by": ACTOR},
    "polls": {"created_by": ACTOR},
    "staff_reports": {"account": ACCOUNT},
    "staff_topics": {"person_id": PERSON, "contact_id": CONTACT},
}

# Column names that point at a person wherever they appear (the completeness test).
PERSON_COLUMNS = frozenset({
    "person_id", "contact_id", "voter", "actor", "external_id", "account",
    "created_by", "approved_by", "answered_by", "granted_by", "event",
})

# What the person wrote: the inbound rows erase blanks (not the questions they answered).
OWN_INBOUND = {"contact_id": CONTACT, "event": SENDER}

# Columns a table keeps although named like the above: the contact's own platform id is the
# contact row itself, found by its person_id.
NOT_A_POINTER = {("contacts", "external_id")}
