"""Pluggable SMS backends (settings.SMS_BACKEND, a dotted path to a class).

A backend has one method, ``send(delivery, text)``, called inside the transaction that marks
the delivery sent: raise to make the delivery retry later. To plug in a provider (阿里云短信,
腾讯云短信, a government SMS gateway), write a class whose ``send`` calls the provider's API and
name it in SMS_BACKEND; put its credentials in the environment.
"""

import logging
import re

from django.conf import settings
from django.utils.module_loading import import_string

from portal.identity import mask_phone
from portal.models import SmsOutbox

logger = logging.getLogger("portal.sms")


CODE = re.compile(r"(验证码\s*)\d{6}")


def mask_codes(text: str) -> str:
    """The text with any verification code starred (request numbers and dates stay)."""
    return CODE.sub(r"\1******", text)


class OutboxSmsBackend:
    """The default: keep the message in the SmsOutbox table and log it (phone and any
    verification code masked). The table stands in for an SMS gateway, so it holds the text as
    sent, codes included: `manage.py sms_outbox` shows it to an operator with shell access, the
    admin pages mask the codes. Production plugs in a real gateway and this table stays empty.

    Written in the delivery's own transaction, so a message is in the outbox exactly once
    even if a worker dies while sending."""

    def send(self, delivery, text: str) -> None:
        phone = delivery.address
        # The number is stored encrypted, with its keyed hash (SmsOutbox.phone).
        SmsOutbox.objects.create(delivery=delivery, phone=phone, text=text)
        # Codes stay out of the log: whoever reads logs must not be able to reset a password.
        logger.info("SMS to %s: %s", mask_phone(phone), mask_codes(text))


def get_backend():
    return import_string(settings.SMS_BACKEND)()
