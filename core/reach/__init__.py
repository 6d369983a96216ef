"""Reach: who was actually reached, person by person and organisation by organisation,
read from the deliveries ledger (`report`).

May import: core.storage.
"""
