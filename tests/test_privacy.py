"""Privacy texts that exist (issue 11 item 7): 《个人信息处理规则》 and 《敏感个人信息处理告知》
are public pages, every consent checkbox links to its text, and every consent records the
version it was given to, through the domain functions the pages and the API share."""

import re

import pytest

from portal import privacy
from portal.models import ConsentRecord, User
from services.models import ServiceRequest
from services.seed import seed_service_types
from tests.requests_support import file_housing, give_card

pytestmark = pytest.mark.django_db

REGISTRATION = {
    "username": "wanghong",
    "real_name": "王红",
    "id_type": "resident",
    "id_number": "11010519491231002x",
    "phone": "139 0000 1111",
    "email": "",
    "password": "Bazhou#Talent9",
    "password2": "Bazhou#Talent9",
    "consent": "on",
}
API_REGISTRATION = {
    "username": "liming",
    "password": "Bazhou#Talent9",
    "real_name": "李明",
    "id_number": "511902198803150029",
    "phone": "13800002688",
}
MEDICAL = {"service": "年度健康体检", "hospital": "巴州区人民医院"}
SCHOOL = {
    "child_name": "李小明",
    "child_birth_date": "2019-05-01",
    "request_kind": "转学",
    "grade": "小学二年级",
    "living_in_bazhou": True,
}


@pytest.fixture
def catalogue(departments):
    seed_service_types()


def text_of(html: str) -> str:
    """The page's words without tags, so phrases split by markup can be found."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the texts ----------------------------------------------------------------------------------
def test_the_rules_are_a_public_page_saying_what_why_how_long_who_and_your_rights(client):
    response = client.get("/privacy/")
    assert response.status_code == 200
    words = text_of(response.content.decode())
    text = privacy.TEXTS[privacy.PRIVACY_RULES]
    assert "个人信息处理规则" in words
    assert f"第 {text.version} 版" in words
    assert f"生效日期：{text.effective_text}" in words
    # What is collected and why, how it is protected.
    for phrase in ("证件号码", "手机号码", "工作单位", "证件照", "IP 地址", "用途", "加密存储"):
        assert phrase in words, phrase
    # Reveal with a reason the talent can see; medical and minors' details for the department.
    assert "个人信息查看记录" in words and "填写查看理由" in words
    assert "医疗健康信息和未成年人信息只有承办该事项的部门可以查看" in words
    # How long: every kind of data has a period.
    for period in ("3 年", "6 个月", "个工作日内删除或匿名化"):
        assert period in words, period
    # Rights under PIPL and how to exercise them.
    for right in ("查阅", "复制", "更正", "删除", "撤回同意", "注销账户"):
        assert right in words, right
    assert "个工作日内答复或办理" in words
    # Contact: the organization department, placeholders marked as its to fill in.
    assert "中共巴中市巴州区委组织部（人才办）" in words
    assert privacy.CONTACT_ADDRESS in words and privacy.CONTACT_PHONE in words
    assert "待区委组织部（人才办）公布" in privacy.CONTACT_PHONE


def test_the_sensitive_notice_is_a_public_page(client):
    response = client.get("/privacy/sensitive/")
    assert response.status_code == 200
    words = text_of(response.content.decode())
    text = privacy.TEXTS[privacy.SENSITIVE_NOTICE]
    assert "敏感个人信息处理告知" in words
    assert f"第 {text.version} 版" in words and text.effective_text in words
    for phrase in (
        "医疗健康信息",
        "不满十四周岁",
        "单独同意",
        "监护人",
        "只有承办部门可见",
        "6 个月后删除",
        "个人信息查看记录",
        "撤回",
        "中共巴中市巴州区委组织部（人才办）",
    ):
        assert phrase in words, phrase


def test_every_page_links_both_texts_in_its_footer(client, talent):
    for user in (None, talent):
        if user:
            client.force_login(user)
        html = client.get("/").content.decode()
        footer = html.split('<footer class="site-footer">', 1)[1]
        assert 'href="/privacy/"' in footer and 'href="/privacy/sensitive/"' in footer


# --- registration -------------------------------------------------------------------------------
def test_the_register_page_links_the_rules_and_records_the_consent(client):
    form = client.get("/accounts/register/").content.decode()
    consent = form.split('name="consent"', 1)[1].split("</fieldset>", 1)[0]
    assert 'href="/privacy/"' in consent and "《个人信息处理规则》" in consent
    assert f"第 {privacy.TEXTS['privacy_rules'].version} 版" in consent

    response = client.post("/accounts/register/", REGISTRATION)
    assert response.status_code == 302
    user = User.objects.get(username="wanghong")
    record = ConsentRecord.objects.get(user=user)
    assert record.document == "privacy_rules"
    assert record.version == privacy.TEXTS["privacy_rules"].version
    assert (record.object_type, record.object_id, record.given_by) == ("", "", "")


def test_the_register_page_without_consent_creates_nothing(client):
    data = {k: v for k, v in REGISTRATION.items() if k != "consent"}
    response = client.post("/accounts/register/", data)
    assert response.status_code == 200
    assert "请阅读并同意个人信息处理规则" in response.content.decode()
    assert not User.objects.exists() and not ConsentRecord.objects.exists()


def test_the_register_api_records_consent_and_its_version(api, monkeypatch):
    refused = api.post("/api/v1/auth/register/", dict(API_REGISTRATION, consent=False))
    assert refused.status_code == 400
    assert refused.json()["consent"] == ["请阅读并同意个人信息处理规则。"]
    assert not User.objects.exists() and not ConsentRecord.objects.exists()
    # API.md fixes the register body without the field: a v1 client still registers, and no
    # consent is recorded for it (nothing is made up).
    legacy = dict(API_REGISTRATION, username="legacy_app", id_number="11010519491231002X")
    assert api.post("/api/v1/auth/register/", legacy).status_code == 201
    assert not ConsentRecord.objects.exists()

    # The version recorded is the current one, whatever it is.
    newer = privacy.PrivacyText(**{**vars(privacy.TEXTS["privacy_rules"]), "version": "2.1"})
    monkeypatch.setitem(privacy.TEXTS, "privacy_rules", newer)
    created = api.post("/api/v1/auth/register/", dict(API_REGISTRATION, consent=True))
    assert created.status_code == 201, created.content
    record = ConsentRecord.objects.get(user__username="liming")
    assert (record.document, record.version) == ("privacy_rules", "2.1")


# --- filing medical and minors' matters -----------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "fields", "given_by"), [("MEDICAL", MEDICAL, ""), ("SCHOOL", SCHOOL, "监护人")]
)
def test_filing_a_sensitive_request_records_the_notice_version_for_it(
    catalogue, client_for, talent, code, fields, given_by
):
    give_card(talent)
    client = client_for(talent)
    refused = client.post(
        "/api/v1/service-requests/", {"service_type": code, "fields": fields}, format="json"
    )
    assert refused.status_code == 400 and "《敏感个人信息处理告知》" in refused.json()["consent"][0]
    assert not ConsentRecord.objects.filter(document="sensitive_notice").exists()

    created = client.post(
        "/api/v1/service-requests/",
        {"service_type": code, "fields": fields, "consent": True},
        format="json",
    )
    assert created.status_code == 201, created.content
    req = ServiceRequest.objects.get(number=created.json()["number"])
    record = ConsentRecord.objects.get(document="sensitive_notice")
    assert record.user == talent
    assert record.version == privacy.TEXTS["sensitive_notice"].version
    assert (record.object_type, record.object_id) == ("services.servicerequest", str(req.pk))
    assert record.given_by == given_by


def test_an_ordinary_request_records_no_sensitive_consent(catalogue, talent):
    give_card(talent)
    file_housing(talent)
    assert not ConsentRecord.objects.exists()


def test_the_filing_page_links_the_notice_next_to_the_checkbox(catalogue, client, talent):
    give_card(talent)
    client.force_login(talent)
    for code in ("MEDICAL", "SCHOOL"):
        html = client.get(f"/services/{code}/apply/").content.decode()
        consent = html.split('name="consent"', 1)[1].split("</fieldset>", 1)[0]
        assert 'href="/privacy/sensitive/"' in consent and "《敏感个人信息处理告知》" in consent
    response = client.post(
        "/services/MEDICAL/apply/",
        {"field_service": "年度健康体检", "field_hospital": "巴州区人民医院", "consent": "on"},
    )
    assert response.status_code == 302
    assert ConsentRecord.objects.get().document == "sensitive_notice"


# --- the account page -----------------------------------------------------------------------------
def test_the_talent_sees_their_consents_on_the_account_page(catalogue, client, talent, handler):
    give_card(talent)
    privacy.consent_record(user=talent, document="privacy_rules")
    req = file_school(talent)
    client.force_login(talent)
    html = client.get("/accounts/me/").content.decode()
    section = html.split('id="consents"', 1)[1].split("</article>", 1)[0]
    words = text_of(section)
    assert "同意 《个人信息处理规则》 （第 1.2 版）" in words
    assert (
        f"以监护人身份同意 《敏感个人信息处理告知》 （第 1.1 版），用于申请 {req.number}" in words
    )
    client.force_login(handler)
    assert 'id="consents"' not in client.get("/accounts/me/").content.decode()


def file_school(talent) -> ServiceRequest:
    from services.filing import request_file

    return request_file(talent=talent, service_type="SCHOOL", fields=dict(SCHOOL), consent=True)
