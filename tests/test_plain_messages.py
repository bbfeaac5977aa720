"""Messages a person understands (issue 11 item 10): no internal codes in what people read,
one message per field, 是/否 questions as a labelled choice."""

import re

import pytest
from django.core.exceptions import ValidationError

from cards.applications import application_create
from portal.accounts import account_create
from services.models import ServiceRequest
from services.seed import seed_service_types
from tests.cards_support import draft, upload
from tests.factories import PASSWORD
from tests.requests_support import give_card, request_in

pytestmark = pytest.mark.django_db

# What a code looks like in a message: a lowercase identifier (photo, id_card, renewal…).
CODE = re.compile(r"[a-z][a-z_]+")


def messages_of(body) -> list[str]:
    """Every message of a 400 body (field → list of messages), nested lists flattened."""
    found = []
    for value in body.values() if isinstance(body, dict) else body:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list | dict):
            found.extend(messages_of(value))
    return found


def field_errors(html: str) -> dict[str, list[str]]:
    """The page's messages under each field (templates/includes/field.html)."""
    errors: dict[str, list[str]] = {}
    for field, text in re.findall(r'<small class="field-error" id="id_(\w+)_error">([^<]*)<', html):
        errors.setdefault(field, []).append(text)
    return errors


def test_missing_evidence_is_named_without_its_code(api, talent, criteria):
    client = api.as_user(talent)
    app = draft(client)
    for kind in app["missing_evidence"]:
        if kind != "photo":
            assert upload(client, app["id"], kind).status_code == 201
    response = client.post(f"/api/v1/card-applications/{app['id']}/submit/")
    assert response.status_code == 400
    body = response.json()
    assert body["documents"] == ["缺少证明材料：证件照"]
    assert body["missing_evidence"] == ["photo"]  # the codes stay, as data for programs
    wrong_kind = upload(client, app["id"], "diploma").json()
    assert wrong_kind["kind"][0].startswith("材料类型无效，可选：证件照、身份证件、")
    assert not CODE.search(wrong_kind["kind"][0])


def test_an_application_kind_is_offered_by_its_name(talent, criteria):
    with pytest.raises(ValidationError) as refused:
        application_create(talent=talent, kind="upgrade", criteria=["D02"])
    assert refused.value.message_dict["kind"] == [
        "申请类型无效，可选：首次申请、到期续期、信息变更（更换单位）。"
    ]


def test_a_rating_out_of_range_says_what_to_choose(api, talent, handler, departments):
    seed_service_types()
    give_card(talent)
    req = request_in("resolved", talent, handler)
    response = api.as_user(talent).post(
        f"/api/v1/service-requests/{req.number}/rate/", {"score": 7}
    )
    assert response.status_code == 400
    (message,) = response.json()["score"]
    assert "整数" not in message and message.startswith("请选择评价")


def test_a_date_is_asked_for_as_people_write_it(api, talent, departments):
    seed_service_types()
    give_card(talent)
    fields = {
        "family_size": 3,
        "room_type": "两室一厅",
        "move_in_date": "下个月",
        "current_housing": "租房",
        "no_own_house": True,
    }
    response = api.as_user(talent).post(
        "/api/v1/service-requests/", {"service_type": "HOUSING", "fields": fields}, format="json"
    )
    assert response.status_code == 400
    message = response.json()["fields.move_in_date"][0]
    assert "YYYY" not in message and "如 2026-09-01" in message


def test_an_invalid_role_is_refused_with_role_names(admin_user):
    with pytest.raises(ValidationError) as refused:
        account_create(username="zjj_x", role="boss", real_name="张三", department_code="ZJJ")
    (message,) = refused.value.message_dict["role"]
    assert "经办人" in message and not CODE.search(message)


def test_the_register_page_says_one_thing_per_field(client):
    response = client.post(
        "/accounts/register/",
        {"username": "", "real_name": "", "id_number": "123", "phone": "1", "password": "abc"},
    )
    assert response.status_code == 200
    errors = field_errors(response.content.decode())
    assert errors["username"] == ["请填写用户名。"]  # not also "该字段是必填项。"
    assert errors["real_name"] == ["请填写真实姓名。"]
    assert errors["id_type"] == ["请选择证件类型。"]
    assert errors["password2"] == ["请再次输入密码。"]
    # "abc" is too short and too common: the first problem only.
    assert errors["password"] == ["密码至少需要8个字符。"]
    assert all(len(messages) == 1 for messages in errors.values()), errors
    assert "该字段是必填项" not in response.content.decode()


def test_the_register_api_says_one_thing_per_field(api):
    response = api.post(
        "/api/v1/auth/register/",
        {
            "username": "newbie",
            "password": "abc",
            "real_name": "新人",
            "id_number": "511902198803150029",
            "phone": "13800009999",
        },
    )
    assert response.status_code == 400
    assert response.json()["password"] == ["密码至少需要8个字符。"]


def test_a_new_password_gets_one_message(client, talent):
    client.force_login(talent)
    response = client.post(
        "/accounts/me/password/",
        {"old_password": PASSWORD, "new_password": "abc", "new_password2": "abc"},
    )
    assert response.status_code == 200
    assert field_errors(response.content.decode())["new_password"] == ["密码至少需要8个字符。"]


def test_yes_no_questions_are_a_labelled_choice(client, talent, departments):
    seed_service_types()
    give_card(talent)
    client.force_login(talent)
    html = client.get("/services/HOUSING/apply/").content.decode()
    start = html.index('<fieldset class="choice-group" id="id_field_no_own_house"')
    group = html[start : html.index("</fieldset>", start)]
    assert "<legend>本人及配偶在巴州区无自有住房" in group
    radios = re.findall(
        r'<label for="(id_field_no_own_house_\d)"><input type="radio"[^>]*> (.)</label>', group
    )
    assert [label for _, label in radios] == ["是", "否"]
    assert 'type="checkbox"' not in group
    # Every boolean field of the catalogue: none is a bare checkbox anywhere on the form.
    assert 'name="field_no_own_house" type="checkbox"' not in html
    assert html.count('type="checkbox"') == 0


def test_a_value_of_a_field_the_catalogue_dropped_is_not_labelled_with_its_code(
    client, talent, handler, departments
):
    seed_service_types()
    give_card(talent)
    req = request_in("submitted", talent, handler)
    housing = req.service_type
    housing.fields = [f for f in housing.fields if f["code"] != "remarks"]
    housing.save()
    ServiceRequest.objects.filter(pk=req.pk).update(fields={**req.fields, "remarks": "靠近学校"})
    client.force_login(talent)
    html = client.get(f"/requests/{req.number}/").content.decode()
    assert "<dt>其他填写内容（该项已从申请表移除）</dt><dd>靠近学校</dd>" in html
    assert "<dt>remarks</dt>" not in html


# --- every required field says what is missing (issue 11 point 10) --------------------------
GENERIC_REQUIRED = "该字段是必填项"


def _page_form_classes() -> list[type]:
    """Every form class of the three apps' page code (the admin's forms are Django's)."""
    import importlib
    import pkgutil

    from django import forms

    for app in ("portal", "cards", "services"):
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in module.name or "admin" in module.name:
                continue
            importlib.import_module(module.name)
    found, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in ("portal", "cards", "services") and (
            "admin" not in cls.__module__
        ):
            found.append(cls)
    return sorted(set(found), key=lambda cls: (cls.__module__, cls.__qualname__))


def test_every_page_form_names_what_is_missing():
    from portal.form_messages import PlainMessages

    classes = _page_form_classes()
    assert len(classes) > 30  # the walk found the forms
    plain = {f"{cls.__module__}.{cls.__qualname__}" for cls in classes}
    assert "portal.forms.LoginForm" in plain and "services.forms.TransferForm" in plain
    not_plain = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in classes
        if not issubclass(cls, PlainMessages) and cls.__name__ != "PlainForm"
    ]
    assert not_plain == []


def test_each_form_submitted_empty_names_each_missing_field(departments):
    """Each page form built with what its page passes, posted empty: no generic message, one
    message per field, and each message names its field's label."""
    from services.models import ServiceType

    seed_service_types()
    extra = {
        "RequestForm": {"service_type": ServiceType.objects.get(code="HOUSING")},
        "ResubmitForm": {"returned": ["劳动合同缺少签字页"], "kinds": ["contract"]},
    }
    checked = 0
    for cls in _page_form_classes():
        if cls.__name__ == "PlainForm":
            continue
        form = cls(data={}, files={}, **extra.get(cls.__name__, {}))
        form.is_valid()
        for name, messages in form.errors.items():
            assert len(messages) == 1, (cls, name, messages)
            assert GENERIC_REQUIRED not in messages[0], (cls, name)
            field = form.fields.get(name)
            if field is not None and field.required:
                label = str(field.label).rstrip("：:")
                assert label in messages[0] or messages[0] in str(
                    field.error_messages["required"]
                ), (cls, name, messages)
        checked += 1
    assert checked > 30


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/accounts/login/", {"username": ["请输入用户名。"], "password": ["请输入密码。"]}),
        ("/accounts/password-reset/", {"account": ["请输入用户名或手机号码。"]}),
    ],
)
def test_the_sign_in_pages_posted_empty_say_what_is_missing(client, url, expected):
    # Every field posted blank (a POST without any field shows the form unbound).
    response = client.post(url, dict.fromkeys(expected, ""))
    html = response.content.decode()
    assert GENERIC_REQUIRED not in html
    assert field_errors(html) == expected


def test_the_password_change_page_posted_empty_says_what_is_missing(client, talent):
    client.force_login(talent)
    blank = dict.fromkeys(("old_password", "new_password", "new_password2"), "")
    html = client.post("/accounts/me/password/", blank).content.decode()
    assert GENERIC_REQUIRED not in html
    assert field_errors(html) == {
        "old_password": ["请输入当前密码。"],
        "new_password": ["请输入新密码。"],
        "new_password2": ["请输入确认新密码。"],
    }


def test_a_required_choice_says_choose(client, admin_user):
    client.force_login(admin_user)
    blank = dict.fromkeys(("username", "real_name", "role", "department", "phone"), "")
    html = client.post("/manage/accounts/new/", blank).content.decode()
    assert GENERIC_REQUIRED not in html
    assert field_errors(html)["role"] == ["请选择角色。"]
