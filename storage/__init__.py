"""What the domain apps (accounts, ledger) share about storing things: Redis keys and outages, storable text.

The bottom of the house: it imports Django and the drivers, never an app.
"""
