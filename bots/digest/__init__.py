"""The Informational Digest as people get it: the PDF ("Информационный сборник": title
page, contents, each staff member's reports, the month's campaigns with their reach and
charts, the polls with their results), the /отчёт dialogue's texts, the two monthly jobs
(the 25th-day reminder, the 1st-day digest posted for approval) and the approval that
sends it to members. The content itself is core.digest's."""
