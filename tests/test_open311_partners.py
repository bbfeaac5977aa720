"""合作系统, the organization department's page for the Open311 partner systems (issue 17
point 2): admins only; registering shows the key once (its digest stored, the audit without
it); revocation with a reason, refused the second time; the calls; CSP; constant queries."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from open311.keys import digest, partner_create, partner_for_key
from open311.models import Partner, PartnerCall
from open311.views_partners import mask_contact
from portal.models import AuditEvent
from tests.test_csp import check_page

pytestmark = pytest.mark.django_db
URL = "/open311/partners/"
KEY = re.compile(r"o311_[0-9a-f]{8}[A-Za-z0-9_-]{32}")


def register(client, **data):
    form = {"name": "省一体化政务服务平台", "contact": "李工 13812345678", "scope": "file"}
    form["rate_limit"] = "120"
    form.update(data)
    return client.post(URL, form)


def rows(html: str) -> list[str]:
    body = html.split('id="partners"', 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<td class="row-head"><a href="/open311/partners/\d+/">([^<]+)</a>', body)


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


# --- who may see it -------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["handler", "lead", "talent", "auditor", "verifier"])
def test_only_the_admin_sees_the_pages(client, request, admin_user, persona):
    partner, _ = partner_create(name="区小程序", actor=admin_user)
    client.force_login(request.getfixturevalue(persona))
    for url in (URL, f"{URL}{partner.pk}/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{URL}{partner.pk}/revoke/", {"reason": "x"}).status_code == 404
    assert register(client).status_code == 404
    assert Partner.objects.count() == 1
    assert Partner.objects.get().revoked_at is None


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response.url


def test_the_admin_sees_the_page_with_the_discovery_url_and_the_menu(admin):
    response = admin.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "http://testserver/open311/v2/discovery.json" in html
    assert f'href="{URL}"' in html and "合作系统" in html
    check_page(response, URL)


# --- registering ----------------------------------------------------------------------------
def test_registering_shows_the_key_once(admin, admin_user):
    response = register(admin)
    assert response.status_code == 200
    html = response.content.decode()
    (key,) = set(KEY.findall(html))
    assert "密钥只显示这一次，请立即复制给合作方" in html
    assert response.get("Cache-Control") and "no-store" in response["Cache-Control"]
    partner = Partner.objects.get()
    assert partner.name == "省一体化政务服务平台" and partner.scope == "file"
    assert partner.rate_limit == 120 and partner.created_by == admin_user
    assert partner.key_digest == digest(key) and key.startswith(partner.key_prefix)
    assert partner_for_key(key) == partner
    # The key is nowhere else: not stored in clear, not in the audit, not on a later page.
    event = AuditEvent.objects.get(action="partner.create")
    assert event.actor == admin_user and event.object_id == str(partner.pk)
    assert key not in str(event.detail) and event.detail["key_prefix"] == partner.key_prefix
    assert key not in str(Partner.objects.values().get())
    for url in (URL, f"{URL}{partner.pk}/"):
        later = admin.get(url).content.decode()
        assert KEY.search(later) is None and "密钥只显示这一次" not in later
        assert partner.key_prefix in later
    # The contact's phone is masked on the list and the partner's page.
    assert "138****5678" in later and "13812345678" not in later
    check_page(response, URL)


def test_validation_errors_keep_the_input(admin, admin_user):
    partner_create(name="区小程序", actor=admin_user)
    cases = [
        ({"rate_limit": "6001"}, "每分钟调用上限最多为 6000 次。"),
        ({"rate_limit": "0"}, "每分钟调用上限最少为 1 次。"),
        ({"name": "区小程序"}, "已有同名的合作系统。"),
        ({"scope": "admin"}, "scope"),
    ]
    for data, message in cases:
        response = register(admin, **data)
        assert response.status_code == 200
        html = response.content.decode()
        assert KEY.search(html) is None
        assert 'class="field-error"' in html and (message in html or message == "scope")
        assert 'value="李工 13812345678"' in html  # the input is kept in the form
    assert list(Partner.objects.values_list("name", flat=True)) == ["区小程序"]
    assert AuditEvent.objects.filter(action="partner.create").count() == 1


def test_a_repeated_form_key_registers_once(admin):
    page = admin.get(URL).content.decode()
    form_key = re.search(r'name="form_key" value="([^"]+)"', page)
    assert form_key, "the registration form carries a one-time key"
    first = register(admin, form_key=form_key.group(1))
    assert first.status_code == 200 and KEY.search(first.content.decode())
    again = register(admin, form_key=form_key.group(1))
    partner = Partner.objects.get()
    assert again.status_code == 302 and again.url == f"{URL}{partner.pk}/"


# --- revoking -------------------------------------------------------------------------------
def test_revoking_stops_the_key_and_twice_is_refused(admin, admin_user):
    partner, key = partner_create(name="区小程序", actor=admin_user)
    url = f"{URL}{partner.pk}/revoke/"
    assert partner_for_key(key) == partner
    response = admin.post(url, {"reason": "合作到期"}, REMOTE_ADDR="10.0.0.8")
    assert response.status_code == 302 and response.url == f"{URL}{partner.pk}/"
    partner.refresh_from_db()
    assert partner.revoked_at is not None and partner_for_key(key) is None
    event = AuditEvent.objects.get(action="partner.revoke")
    assert event.actor == admin_user and event.object_id == str(partner.pk)
    assert event.detail["reason"] == "合作到期" and event.ip == "10.0.0.8"
    page = admin.get(response.url).content.decode()
    assert "已停用合作系统“区小程序”的密钥" in page and "已停用" in page
    assert f'action="/open311/partners/{partner.pk}/revoke/"' not in page
    revoked_at = partner.revoked_at
    again = admin.post(url, {"reason": "再停一次"}, follow=True)
    assert "无需再次停用" in again.content.decode()
    partner.refresh_from_db()
    assert partner.revoked_at == revoked_at
    assert AuditEvent.objects.filter(action="partner.revoke").count() == 1


def test_revoking_needs_a_reason(admin, admin_user):
    partner, key = partner_create(name="区小程序", actor=admin_user)
    response = admin.post(f"{URL}{partner.pk}/revoke/", {"reason": "  "})
    assert response.status_code == 200
    assert "请填写停用原因。" in response.content.decode()
    partner.refresh_from_db()
    assert partner.revoked_at is None and partner_for_key(key) == partner
    assert admin.get(f"{URL}{partner.pk}/revoke/").status_code == 405


def test_revoke_in_the_domain_refuses_other_roles(admin_user, handler):
    from open311.keys import partner_revoke
    from portal.errors import InvalidTransition, NotAllowed

    partner, _ = partner_create(name="区小程序", actor=admin_user)
    with pytest.raises(NotAllowed):
        partner_revoke(partner, handler, "x")
    partner_revoke(partner, admin_user, "合作到期")
    with pytest.raises(InvalidTransition) as refused:
        partner_revoke(partner, admin_user, "合作到期")
    assert refused.value.status_code == 409


# --- the calls ------------------------------------------------------------------------------
def test_the_list_counts_the_last_day_and_the_partner_page_lists_the_last_50(admin, admin_user):
    busy, _ = partner_create(name="A 系统", actor=admin_user)
    idle, _ = partner_create(name="B 系统", actor=admin_user)
    now = timezone.now()
    for i in range(55):
        PartnerCall.objects.create(
            partner=busy,
            at=now - timedelta(hours=i),
            method="GET",
            path=f"/open311/v2/requests/{i}.json",
            status=200 if i % 2 else 404,
            ip="10.1.2.3",
        )
    PartnerCall.objects.create(
        partner=idle,
        at=now - timedelta(days=3),
        method="POST",
        path="/open311/v2/requests.json",
        status=201,
    )
    html = admin.get(URL).content.decode()
    assert rows(html) == ["A 系统", "B 系统"]
    cells = re.findall(r'data-label="近24小时调用">(\d+)<', html)
    # Calls at 0..23 hours ago are in the last 24 hours (the one at exactly 24 h is not).
    assert cells == ["24", "0"]
    last = re.findall(r'data-label="最近调用">([^<]+)<', html)
    assert last == [
        timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
        timezone.localtime(now - timedelta(days=3)).strftime("%Y-%m-%d %H:%M"),
    ]
    page = admin.get(f"{URL}{busy.pk}/").content.decode()
    paths = re.findall(r"<code>(/open311/v2/requests/\d+\.json)</code>", page)
    assert paths == [f"/open311/v2/requests/{i}.json" for i in range(50)]
    assert "10.1.2.3" in page and ">404<" in page
    check_page(admin.get(f"{URL}{busy.pk}/"), f"{URL}{busy.pk}/")


def test_the_pages_run_a_constant_number_of_queries(
    admin, admin_user, django_assert_max_num_queries
):
    def add(n, start):
        for i in range(start, start + n):
            p, _ = partner_create(name=f"系统{i:02d}", contact=f"联系人{i}", actor=admin_user)
            for _ in range(3):
                PartnerCall.objects.create(partner=p, method="GET", path="/x", status=200)

    add(1, 0)
    with django_assert_max_num_queries(20) as few:
        html = admin.get(URL).content.decode()
    one_row = len(few)
    assert len(rows(html)) == 1
    add(6, 1)
    with django_assert_max_num_queries(one_row):
        html = admin.get(URL).content.decode()
    assert len(rows(html)) == 7
    partner = Partner.objects.first()
    with django_assert_max_num_queries(20) as few:
        admin.get(f"{URL}{partner.pk}/")
    calls = len(few)
    for _ in range(10):
        PartnerCall.objects.create(partner=partner, method="GET", path="/y", status=200)
    with django_assert_max_num_queries(calls):
        admin.get(f"{URL}{partner.pk}/")


def test_the_list_is_paginated(admin, admin_user):
    for i in range(23):
        partner_create(name=f"系统{i:02d}", actor=admin_user)
    first = rows(admin.get(URL).content.decode())
    second = rows(admin.get(f"{URL}?page=2").content.decode())
    assert first == [f"系统{i:02d}" for i in range(20)]
    assert second == [f"系统{i:02d}" for i in range(20, 23)]


def test_contacts_are_masked():
    assert (
        mask_contact("李工 13812345678，办公 0996-2123456") == "李工 138****5678，办公 099*******56"
    )
    assert mask_contact("") == ""
