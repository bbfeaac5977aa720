"""Keys never in logs: a filter for the loggers that write request lines and paths
(django.server, django.request) that replaces the value of any ``api_key=`` with ``***``
(config/settings.py LOGGING)."""

import logging
import re

# Also the name percent-encoded (api%5Fkey), which Django decodes into api_key.
KEY = re.compile(r"(api(?:_|%5f)key=)[^&\s\"']*", re.IGNORECASE)


def redact(text: str) -> str:
    return KEY.sub(r"\1***", text)


class RedactKeys(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True
