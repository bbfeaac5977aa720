"""Deadlines written one way everywhere (pages, e-mails, notices, the API's texts).

A limit of N working days ends at 24:00 (Asia/Shanghai) of its last day (民法典 art. 201,
203), and is stored as the instant it runs out: 00:00 of the next day. People read "the last
day, 24:00" — ``2026-12-21 24:00`` — not "the next day, 00:00", which looks like a day more
than was promised. Every layer writes deadlines through ``deadline_text`` (pages through the
``deadline`` template filter of portal_tags), so no page says it another way.
"""

import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def deadline_text(moment: datetime.datetime | None) -> str:
    """``2026-12-21 24:00`` for an end-of-day deadline (stored as 2026-12-22 00:00 in
    Asia/Shanghai); any other instant as ``2026-12-21 16:30``; "" for none."""
    if moment is None:
        return ""
    local = moment.astimezone(SHANGHAI)
    if local.time() == datetime.time.min:
        return f"{local.date() - datetime.timedelta(days=1):%Y-%m-%d} 24:00"
    return f"{local:%Y-%m-%d %H:%M}"
