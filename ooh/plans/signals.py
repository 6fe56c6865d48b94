"""Sent inside the transaction of a change to a plan shown on the night (in force, or a shared draft),
so what listens writes in the same transaction."""

from django.dispatch import Signal

# plan=<BirthPlan>, change="activated" | "revised" | "draft_shared" | "closed", actor=<User>, at=<datetime>. ooh.incidents
# tells the open incidents whose picture holds the mother or the child (IncidentsConfig.ready connects it).
plan_in_force_changed = Signal()
