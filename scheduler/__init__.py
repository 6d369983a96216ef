"""The scheduler: turns the schedules stored with campaigns into runs at their time
(APScheduler 3.11, the database the only truth).

`service` is what `rupor run` starts (AsyncIOScheduler, one job per scheduled campaign,
rebuilt from the campaigns table), `slots` the cron arithmetic, `notices` what it tells
people; `when` (with `recurrence`, `words`): what the press secretary types ("завтра в 10:00",
"каждый понедельник в 9:00", ISO 8601, cron) as Now / Once / Recurring, and its Russian echo.

May import: core only.
"""
