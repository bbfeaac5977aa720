"""Redis down: the cache and the broker are unreachable, and every page and action still works."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import redis
import time_machine

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture
def cache_down(settings):
    settings.CACHES = DEAD_REDIS  # Django rebuilds its cache handlers on this change
    from django.core.cache import cache

    with pytest.raises(redis.exceptions.ConnectionError, match=r"127\.0\.0\.1:1\b"):
        cache.get("probe")


@pytest.mark.usefixtures("cache_down")
def test_admin_pages_work_without_the_cache(client, admin_user, departments):
    from services.calendar import calendar_sync

    calendar_sync(year=2026)
    # Pinned on a day whose next 90 days run into 2027, which has no calendar rows yet: the
    # banner has something to say whatever day the suite runs on.
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        client.force_login(admin_user)
        for url in (
            "/manage/dashboard/",
            "/manage/requests/",
            "/manage/calendar/",
            "/manage/supervision/",
            "/",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
        home = client.get("/").content.decode()
        # The banner still shows, computed without the cache: 2027-01-01 to 01-30.
        assert "工作日历待核实：未来90天内有 30 天（自 2027-01-01 起）" in home
        response = client.post(
            "/manage/calendar/", {"date": "2026-12-30", "is_workday": "0", "note": "测试"}
        )
        assert response.status_code == 302


@pytest.mark.usefixtures("cache_down")
def test_registration_works_without_the_cache(client):
    response = client.post(
        "/accounts/register/",
        {
            "username": "nocache",
            "real_name": "王红",
            "id_type": "resident",
            "id_number": "11010519491231002X",
            "phone": "13900001111",
            "password": "Bazhou#Talent9",
            "password2": "Bazhou#Talent9",
            "consent": "on",
        },
    )
    assert response.status_code == 302
