"""Polls of the young teachers' council: one vote per person on every messenger.

Owns: `spec` (limits, the new poll, vote payloads, voter keys), `create` (a poll and its
campaign of kind "poll", delivered by the ordinary queue), `ballot` (votes recorded
set-based inside the inbox's transaction: one per person, latest choice, withdrawals, the
deadline, the audience, anonymity), `results` (tallies overall and per district, turnout),
`closing` (closing at the deadline, reminders to those who have not voted), `matching`
(the beat's step for votes that came before their poll's landing was recorded), `announce`
(stops and results told at closing), `texts` (what members and the press secretary read,
in Russian). The PNG bar chart is drawn by bots.poll_view.
May import: core.storage, core.audience, core.campaigns, core.sending (and core.ports,
core.access for the audit log). core.inbound imports this package, never the reverse.
"""
