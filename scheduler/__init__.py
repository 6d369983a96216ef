"""The scheduler: turns the schedules stored with campaigns into runs at their time
(APScheduler 3.11, the database the only truth).

May import: core only. Empty until the scheduling work (chat commands and schedules) fills it.
"""
