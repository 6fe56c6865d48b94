"""Sent inside the transaction of a flag's change, so what listens writes in the same transaction."""

from django.dispatch import Signal

# flag=<Flag>, change="added" | "revoked", actor=<User>, at=<datetime>. ooh.incidents tells the open
# incidents whose picture holds the flag's subject (IncidentsConfig.ready connects it).
flag_changed = Signal()
