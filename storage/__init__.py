"""What the domain apps (accounts, ledger) share about storing things: Redis keys and outages, storable text, the
hot path's database connection (prepared lookup, health checks, read snapshots), model instances from raw rows.

The bottom of the house: it imports Django and the drivers, never an app.
"""
