"""Legal holds and the tombstones retention leaves (ooh/records/retention.py)."""
