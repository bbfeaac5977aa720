"""Helpers for the account tests: read the SMS a user was sent, compute TOTP codes."""

import re
from datetime import timedelta

import time_machine
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.delivery import deliveries_retry
from portal.models import SmsOutbox


def deliver_sms() -> None:
    """Send what is pending, as the retry job would (the test broker is in memory)."""
    with time_machine.travel(timezone.now() + timedelta(seconds=21), tick=False):
        deliveries_retry()


def last_sms(phone: str) -> str:
    deliver_sms()
    row = SmsOutbox.objects.to_phone(phone).order_by("-created_at", "-id").first()
    assert row is not None, f"no SMS to {phone}"
    return row.text


def last_code(phone: str) -> str:
    match = re.search(r"验证码 (\d{6})", last_sms(phone))
    assert match, "no code in the SMS"
    return match.group(1)


def totp_now(user, *, confirmed: bool | None = None) -> str:
    """The code the user's authenticator app shows now."""
    devices = TOTPDevice.objects.filter(user=user)
    if confirmed is not None:
        devices = devices.filter(confirmed=confirmed)
    device = devices.order_by("-id").first()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp()
    return f"{totp.token():0{device.digits}d}"
