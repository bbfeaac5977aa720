"""覆盖情况 takes the same four aggregate queries whatever the number of liaisons, and its
totals are the sums of its per-officer rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from talents.coverage import report
from talents.visits import visit_record
from tests.talents_support import holder, liaison_for, officer

pytestmark = pytest.mark.django_db


def _world(n: int, admin) -> None:
    staff = [officer(), officer()]
    for i in range(n):
        _talent, card = holder("BCD"[i % 3])
        who = staff[i % 2]
        liaison = liaison_for(card, who, admin)
        visit_record(
            liaison=liaison,
            actor=who,
            visited_on=timezone.localdate(),
            mode="in_person" if i % 2 else "phone",
            summary="走访。",
            concerns=[{"text": "希望增开通勤班车。"}],
        )


@pytest.mark.parametrize("n", [2, 9])
def test_four_queries_whatever_the_liaisons(n, departments, admin_user):
    _world(n, admin_user)
    with CaptureQueriesContext(connection) as queries:
        figures = report()
    assert len(queries) == 4
    assert figures["with_liaison"] == n == figures["visits"] == figures["concerns_raised"]
    assert figures["key_with_liaison"] == len([i for i in range(n) if i % 3 < 2])
    assert sum(r["holders"] for r in figures["by_officer"]) == n
    assert sum(r["visits"] for r in figures["by_officer"]) == n
    assert figures["visits_in_person"] == n // 2
