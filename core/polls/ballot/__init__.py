"""Votes recorded set-based inside the inbox's batch transaction: a handful of statements
for a whole batch, however many votes it holds.

Rules: one vote per person (the voter is "p:<person>", or "c:<contact>" while unlinked),
their latest choice; a Telegram answer replaces the choice, an empty one withdraws it; a
button toggles its option (single choice: the option becomes the choice, pressing the
chosen one withdraws it); a vote after the deadline is refused with a friendly reply; a
vote from a contact the poll did not reach (no poll_messages row) is not counted — it waits
in poll_pending_votes, since the landing may be recorded a moment after the vote. An
anonymous poll keeps the voter in poll_voters and the choice in poll_ballots under
HMAC(salt, voter), with the voter's district and nothing else (core.storage.poll_tables).

Owns: `model` (the batch's findings and the statements they need), `read` (one query per
kind for a whole batch), `write` (the final choices, set-based), `record` (the rules and
the replies), `pending` (votes kept until their poll's landing is recorded), `statements`
(the statements on a SQLAlchemy Connection, for votes recorded outside the inbox).
Synchronous on purpose, like core.inbound.dialogs_batch: it runs in the
inbox's worker thread on SQLite.
"""
