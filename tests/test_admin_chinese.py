"""The Django admin, fully in Chinese: app, model and column names, filters, forms, and no
library page left in English (issue 11 item 10)."""

import html
import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.core.management import call_command
from django.urls import reverse

from cards.models import CardScan, Criterion
from portal.models import Role, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u4e00-\u9fff]")
# Words of the catalogue's JSON format, which the person editing it types (the help text
# names and translates each one), and of the portal's own addresses in messages.
FORMAT_WORDS = {
    "boolean", "code", "datatype", "date", "false", "label", "multivaluelist", "name",
    "number", "required", "singlevaluelist", "string", "text", "true", "values",
}  # fmt: skip
URL_WORDS = {"manage", "accounts"}


def _visible_text(page: str) -> str:
    page = re.sub(
        r"<script.*?</script>|<style.*?</style>|<textarea.*?</textarea>", "", page, flags=re.S
    )
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _english_words(page: str, allowed: set[str]) -> set[str]:
    words = set(re.findall(r"[A-Za-z][A-Za-z_]{2,}", _visible_text(page)))
    return {w for w in words if w not in allowed and not w.isupper()}


def test_every_name_the_admin_shows_is_chinese():
    site = admin.site
    for title in (site.site_header, site.site_title, site.index_title):
        assert CJK.search(title)
    for model, model_admin in site._registry.items():
        meta = model._meta
        assert CJK.search(str(meta.app_config.verbose_name)), meta.app_label
        assert CJK.search(str(meta.verbose_name)), meta.label
        assert CJK.search(str(meta.verbose_name_plural)), meta.label
        shown = [*model_admin.list_display, *(model_admin.fields or [])]
        shown += [f for f in model_admin.list_filter if isinstance(f, str)]
        for name in shown:
            if name == "__str__":
                continue
            label = label_for_field(name, model, model_admin)
            assert CJK.search(str(label)), f"{meta.label}.{name}: {label}"
        for list_filter in model_admin.list_filter:
            if not isinstance(list_filter, str):
                assert CJK.search(list_filter.title), list_filter


def test_library_models_are_not_in_the_admin():
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from knox.models import AuthToken

    for model in (Group, AuthToken, TOTPDevice, StaticDevice):
        assert not admin.site.is_registered(model), model


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--force", verbosity=0)


@pytest.mark.parametrize("who", ["demo_admin", "superuser"])
def test_no_admin_page_is_in_english(client, demo, who):
    if who == "superuser":
        user = UserFactory(username="root", role=Role.TALENT, is_superuser=True)
    else:
        user = User.objects.get(username=who)
    client.force_login(user)
    names = set(User.objects.values_list("username", flat=True))
    urls = ["/admin/"]
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        urls += [
            reverse(f"admin:{info[0]}_{info[1]}_changelist"),
            reverse(f"admin:{info[0]}_{info[1]}_add"),
            reverse("admin:app_list", args=[info[0]]),
        ]
        first = model.objects.first()
        if first is not None:
            urls += [
                reverse(f"admin:{info[0]}_{info[1]}_change", args=[first.pk]),
                reverse(f"admin:{info[0]}_{info[1]}_history", args=[first.pk]),
            ]
    english = {}
    for url in dict.fromkeys(urls):
        response = client.get(url)
        if response.status_code != 200:
            assert response.status_code == 403, url  # read-only models have no add page
            continue
        allowed = names | URL_WORDS | (FORMAT_WORDS if "/servicetype/" in url else set())
        words = _english_words(response.content.decode(), allowed)
        if words:
            english[url] = sorted(words)
    assert english == {}
    assert client.get("/admin/knox/authtoken/").status_code == 404


def test_the_index_tells_screen_readers_its_columns_in_chinese(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/admin/").content.decode()
    assert '<th scope="col">数据表</th>' in page
    assert "Model name" not in page and "Add link" not in page


def test_a_criterion_takes_its_evidence_by_name(client, admin_user, criteria):
    client.force_login(admin_user)
    criterion = Criterion.objects.get(code="C03")
    url = f"/admin/cards/criterion/{criterion.pk}/change/"
    page = client.get(url).content.decode()
    assert re.search(r'<input type="checkbox" name="evidence" value="title"[^>]*checked', page)
    assert "职称证书</label>" in page and 'value="photo"' not in page
    data = {
        "code": "C03",
        "tier": "C",
        "category": criterion.category,
        "title": criterion.title,
        "evidence": ["id_card", "award"],
        "policy_ref": criterion.policy_ref,
        "is_active": "on",
        "sort_order": "0",
    }
    assert client.post(url, data).status_code == 302
    criterion.refresh_from_db()
    assert criterion.evidence == ["id_card", "award"]
    response = client.post(url, {**data, "evidence": []})
    assert response.status_code == 200
    assert "请至少勾选一种所需证明材料。" in response.content.decode()


def test_verifications_are_listed_with_their_reason_in_words(client, admin_user, verifier):
    CardScan.objects.create(verifier=verifier, valid=False, reason="token_expired")
    CardScan.objects.create(verifier=verifier, valid=False, reason="card_revoked")
    client.force_login(admin_user)
    page = client.get("/admin/cards/cardscan/").content.decode()
    assert "二维码已过期，请持卡人刷新后重新出示" in page and "该优才卡已注销" in page
    assert "token_expired" not in _visible_text(page)
    filtered = client.get("/admin/cards/cardscan/?reason=card_revoked").content.decode()
    cells = re.findall(r'<td class="field-reason_label">([^<]*)</td>', filtered)
    assert cells == ["该优才卡已注销"]
