"""The Celery application: `celery -A ooh worker` and `celery -A ooh beat`."""

import os

from celery import Celery, signals

from ooh import broker
from ooh.runtime_files import make_broker_folders

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ooh.settings")
broker.register()  # the embedded broker writes each message whole before a worker can read it

app = Celery("ooh")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.celeryd_init.connect
@signals.beat_init.connect
def make_the_broker_folders(**_: object) -> None:
    """On kombu's filesystem transport (the embedded broker) the worker and beat make its folders as
    they start: settings never write, and kombu makes none of them."""
    make_broker_folders(app.conf.broker_url, app.conf.broker_transport_options)
