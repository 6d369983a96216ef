"""The Informational Digest ("Информационный сборник"): the staff's monthly reports, the
calendar of the 25th-day reminder and the 1st-day digest (pure, with an injected clock),
and everything the digest of a month holds — the reports, the month's campaigns with
their reach, the polls closed in it with their results. Rendering the PDF and talking to
people are bots/'s (bots/digest/).
May import: core.storage, core.access, core.reach, core.campaigns, core.polls.
"""
