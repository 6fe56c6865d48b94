"""The one seam through which the core starts work above it.

`event_committed` is sent once for every event after its transaction commits and the sockets have been
woken: `alerts` listens (AlertsConfig.ready) to schedule deadline checks on the broker. The core never
imports `alerts`; anything else that must react to the night's changes connects here too.
"""

from django.dispatch import Signal

# Sent with message=<the event's wire shape, as in events.event_dict>; receivers must not raise
# (a failure is logged, and the sweeper catches up with anything a receiver failed to schedule).
event_committed = Signal()

# Sent inside the change's transaction with users=<user ids>, kind, title, body, data and at, when
# someone must be told (a referral's outcome, a birth, an incident closed): `alerts` writes each user's
# inbox entry in that same transaction (the record) and pushes to their devices after commit. Send it
# through ooh.incidents.notices.tell, which also puts the notice on their feeds.
notice = Signal()
