"""Sent inside the transaction of a change to a plan shown on the night (in force, or a shared draft),
so what listens writes in the same transaction."""

from django.dispatch import Signal

# plan=<BirthPlan>, change="activated" | "revised" | "draft_shared" | "shared" | "acknowledged" | "closed",
# actor=<User>, at=<datetime>. ooh.incidents tells the open incidents whose picture holds the mother or the
# child (IncidentsConfig.ready connects it): "shared" and "acknowledged" change who has read the plan, which
# the picture shows (shared_with, not_read_by), so the phones hear of it and snapshots are rebuilt.
plan_in_force_changed = Signal()
