"""Sent inside the transaction of a change to a plan in force, so what listens writes in the same
transaction."""

from django.dispatch import Signal

# plan=<BirthPlan>, change="activated" | "revised" | "closed", actor=<User>, at=<datetime>. ooh.incidents
# tells the open incidents whose picture holds the mother or the child (IncidentsConfig.ready connects it).
plan_in_force_changed = Signal()
