"""An SMS backend for the worker tests: writes the outbox row like the default, then waits,
so a test can kill the worker in the middle of a delivery (the marker file says when)."""

import os
import time
from pathlib import Path

from portal.sms import OutboxSmsBackend


class SlowSmsBackend(OutboxSmsBackend):
    def send(self, delivery, text: str) -> None:
        super().send(delivery, text)
        marker = os.environ.get("SLOW_SMS_MARKER")
        if marker:
            Path(marker).write_text(str(delivery.pk))
        time.sleep(float(os.environ.get("SLOW_SMS_SECONDS", "0")))
