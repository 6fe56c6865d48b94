"""The alerts' clock: the night starts at T0 (now, to the second) and every rule is tried at a time after it."""

import datetime

from django.utils import timezone

T0 = timezone.now().replace(microsecond=0)


def at(**delta):
    return T0 + datetime.timedelta(**delta)
