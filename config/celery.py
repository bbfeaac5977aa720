"""The Celery application.

Configuration comes from Django settings (the ``CELERY_`` names); periodic jobs are listed in
``CELERY_BEAT_SCHEDULE`` there, so the schedule is reviewed with the code. Production runs web,
worker and beat as separate processes (see the README); ``make run`` runs worker and beat in one.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("bazhou")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
