"""End-to-end journeys of the accounts themselves, each at phone (375 px) and desktop width.

d. A talent who forgot their password asks for a code on 忘记密码？, gets it by SMS, first types
   a wrong one (refused next to the field), then the right one with a new password: the old
   password no longer signs in, the new one does and lands on 我的优才卡.
e. The talent office (admin) opens a handler's account from 账户管理 and reads the initial
   password shown once; the handler signs in with it, is held on 修改密码 until they set their
   own, then lands on 办件工作台. The admin deactivates the account (the handler's session ends
   at once) and resets another account's password (a new initial password, shown once).

Each person signs in through the real login page in their own browser context, with no
``next``: where they land is their role's home. The SMS is read from the outbox the default
SMS backend writes (the test broker is in memory, so it is delivered as the retry job would).
"""

import re

import pytest
from playwright.sync_api import expect

from portal.credentials import CODE_REJECTED
from portal.models import Department, Role, User
from portal.seed import seed_departments
from tests.accounts_support import last_code
from tests.e2e.support import menu, message, open_menu, press, snap
from tests.factories import PASSWORD, TalentFactory, UserFactory

# reset_sequences: the same ids in every run, so the screenshots do not drift.
pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)
expect.set_options(timeout=10_000)

NEW_PASSWORD = "Newpass#2026"


@pytest.fixture(autouse=True)
def _password_sign_in_only(settings):
    # These journeys are about passwords; two-factor sign-in (required of admins when
    # DEBUG is off) has tests of its own.
    settings.OTP_REQUIRED_ROLES = []


@pytest.fixture
def offices(db):
    """The departments, the talent office's admin and two accounts it already manages."""
    seed_departments()
    dept = {d.code: d for d in Department.objects.all()}
    return {
        "admin": UserFactory(
            username="zzb_admin", real_name="郑人才办", role=Role.ADMIN, department=dept["ZZB"]
        ),
        "lead": UserFactory(
            username="zjj_lead",
            real_name="吴科长",
            role=Role.LEAD,
            department=dept["ZJJ"],
            phone="13900001111",
        ),
        "verifier": UserFactory(
            username="desk_verifier", real_name="王核验", role=Role.VERIFIER, phone="13900002222"
        ),
    }


# --- helpers --------------------------------------------------------------------------------
def header(page):
    return page.locator("header.site-header")


def log_in(screen, username, password):
    """Fill and submit the login page (no ``next``); the caller checks where it lands."""
    page = screen.page
    screen.go("/accounts/login/")
    expect(page.locator("h1")).to_have_text("登录")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    press(page, "登录")
    return page


def field_error(page, field_id):
    """The error shown right under a form field."""
    return page.locator(f"#{field_id} + small.field-error#{field_id}_error")


def path_is(page, path, query=""):
    expect(page).to_have_url(re.compile(r"^https?://[^/]+" + re.escape(path + query) + "$"))


def accounts_search(page, text):
    """Search 账户管理's list; return its rows."""
    page.fill("input[name=q]", text)
    press(page, "筛选")
    return page.locator("main table tbody tr")


# --- d. a forgotten password ----------------------------------------------------------------
def test_d_a_talent_resets_a_forgotten_password_with_an_sms_code(screen_factory, db):
    talent = TalentFactory(username="chen_jing", real_name="陈静", phone="13811112222")
    screen = screen_factory()
    page = screen.page

    # 登录 → 忘记密码？ → the username.
    screen.go("/accounts/login/")
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name="忘记密码？").click()
    path_is(page, "/accounts/password-reset/")
    expect(page.locator("h1")).to_have_text("找回密码")
    page.get_by_label("用户名或手机号码").fill(talent.username)
    snap(screen, "13-password-reset")
    press(page, "获取验证码")

    # The same notice whether or not the account exists; the username is carried over.
    path_is(page, "/accounts/password-reset/confirm/", f"?username={talent.username}")
    expect(page.locator("h1")).to_have_text("设置新密码")
    notice = page.locator("ul.messages")
    expect(notice).to_contain_text("如果该账户存在")
    expect(notice).to_contain_text("验证码已发送")
    expect(page.locator("#id_username")).to_have_value(talent.username)
    snap(screen, "14-password-reset-confirm")
    code = last_code(talent.phone)

    # A wrong code: refused next to the code field, the password unchanged.
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    page.fill("#id_code", wrong)
    page.fill("#id_new_password", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    press(page, "设置新密码")
    expect(field_error(page, "id_code")).to_have_text(CODE_REJECTED)
    path_is(page, "/accounts/password-reset/confirm/", f"?username={talent.username}")
    talent.refresh_from_db()
    assert talent.check_password(PASSWORD)

    # The right code (one wrong guess does not void it) and the new password twice.
    page.fill("#id_code", code)
    page.fill("#id_new_password", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    press(page, "设置新密码")
    path_is(page, "/accounts/login/")
    message(page, "密码已重置")

    # The old password is refused (on the login page, answered 200), the new one signs in
    # and lands on the talent's home, 我的优才卡.
    page = log_in(screen, talent.username, PASSWORD)
    path_is(page, "/accounts/login/")
    expect(page.locator(".form-errors")).to_contain_text("用户名或密码错误。")
    open_menu(page)
    expect(header(page).get_by_role("link", name="登录", exact=True)).to_be_visible()
    page = log_in(screen, talent.username, NEW_PASSWORD)
    path_is(page, "/card/")
    expect(page.locator("h1")).to_have_text("我的优才卡")
    expect(header(page)).to_contain_text("退出（陈静）")


# --- e. a staff account opened by the talent office -----------------------------------------
def test_e_the_talent_office_opens_deactivates_and_resets_staff_accounts(screen_factory, offices):
    admin_screen = screen_factory()
    admin = log_in(admin_screen, "zzb_admin", PASSWORD)
    path_is(admin, "/manage/dashboard/")
    expect(header(admin)).to_contain_text("退出（郑人才办）")

    # 账户管理: the accounts it manages (not its own, nor talents').
    menu(admin, "账户管理")
    path_is(admin, "/manage/accounts/")
    expect(admin.locator("h1")).to_have_text("账户管理")
    rows = admin.locator("main table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="吴科长")).to_contain_text("部门负责人")
    expect(rows.filter(has_text="王核验")).to_contain_text("服务网点核验员")
    snap(admin_screen, "15-staff-accounts")

    # 开通账户: a ZJJ handler.
    with admin.expect_navigation():
        admin.locator("main a", has_text="开通账户").click()
    path_is(admin, "/manage/accounts/new/")
    expect(admin.locator("h1")).to_have_text("开通账户")
    admin.get_by_label("用户名").fill("zjj_liuyang")
    admin.get_by_label("真实姓名").fill("刘洋")
    admin.get_by_label("角色").select_option(label="经办人")
    admin.get_by_label("所属部门").select_option("ZJJ")
    admin.get_by_label("手机号码").fill("13700005566")
    snap(admin_screen, "16-staff-account-new")
    press(admin, "开通")

    # The initial password, shown this once.
    expect(admin.locator("h1")).to_have_text("账户已开通")
    shown = admin.locator("code.initial-password")
    expect(shown).to_have_text(re.compile(r"^\S{12}$"))
    initial = shown.inner_text()
    expect(admin.locator("main")).to_contain_text("区住房和城乡建设局")
    snap(admin_screen, "17-staff-password-shown")
    handler = User.objects.get(username="zjj_liuyang")
    assert (handler.role, handler.department.code) == (Role.STAFF, "ZJJ")
    assert handler.must_change_password and handler.check_password(initial)

    # Found in the list by name, waiting for the initial password to be changed.
    menu(admin, "账户管理")
    rows = accounts_search(admin, "刘洋")
    expect(rows).to_have_count(1)
    row = rows.first
    for text in ("刘洋", "zjj_liuyang", "经办人", "区住房和城乡建设局", "137****5566"):
        expect(row).to_contain_text(text)
    expect(row).to_contain_text("待改初始密码")
    expect(row).not_to_contain_text("13700005566")

    # The handler, in their own browser: signed in with the initial password, held on 修改密码.
    handler_screen = screen_factory()
    desk = log_in(handler_screen, "zjj_liuyang", initial)
    path_is(desk, "/accounts/me/password/")
    expect(desk.locator("h1")).to_have_text("修改密码")
    expect(desk.locator("main .notice")).to_contain_text("初始密码")
    snap(handler_screen, "18-password-change-forced")
    handler_screen.go("/desk/")
    path_is(desk, "/accounts/me/password/")
    expect(desk.locator("main .notice")).to_contain_text("初始密码")

    # Their own password: on to 办件工作台, signed in under their name.
    desk.get_by_label("当前密码").fill(initial)
    desk.get_by_label(re.compile(r"^新密码")).fill(NEW_PASSWORD)
    desk.get_by_label("确认新密码").fill(NEW_PASSWORD)
    press(desk, "保存新密码")
    path_is(desk, "/desk/")
    message(desk, "密码已修改")
    expect(desk.locator("h1")).to_contain_text("办件工作台")
    expect(header(desk)).to_contain_text("退出（刘洋）")
    handler.refresh_from_db()
    assert not handler.must_change_password and handler.check_password(NEW_PASSWORD)

    # The admin opens the account and deactivates it.
    admin.reload()
    expect(row).to_contain_text("有效")
    expect(row).not_to_contain_text("待改初始密码")
    with admin.expect_navigation():
        row.get_by_role("link", name="刘洋").click()
    expect(admin.locator("h1")).to_have_text("刘洋")
    press(admin, "停用账户")
    message(admin, "账户已停用")
    expect(admin.locator("main dl.facts")).to_contain_text("已停用")
    expect(admin.locator("main").get_by_role("button", name="重新启用")).to_be_visible()

    # The handler's next page is no longer signed in, and signing in again is refused.
    desk.reload()
    expect(desk).to_have_url(re.compile(r"/accounts/login/\?next=(/|%2F)desk(/|%2F)$"))
    open_menu(desk)
    expect(header(desk).get_by_role("link", name="登录", exact=True)).to_be_visible()
    expect(header(desk)).not_to_contain_text("退出（刘洋）")
    desk = log_in(handler_screen, "zjj_liuyang", NEW_PASSWORD)
    path_is(desk, "/accounts/login/")
    expect(desk.locator(".form-errors")).to_contain_text("用户名或密码错误。")

    # 重置密码 on another account: a new initial password, shown once, to change at sign-in.
    menu(admin, "账户管理")
    rows = accounts_search(admin, "王核验")
    expect(rows).to_have_count(1)
    with admin.expect_navigation():
        rows.first.get_by_role("link", name="王核验").click()
    expect(admin.locator("h1")).to_have_text("王核验")
    press(admin, "重置密码")
    expect(admin.locator("h1")).to_have_text("密码已重置")
    shown = admin.locator("code.initial-password")
    expect(shown).to_have_text(re.compile(r"^\S{12}$"))
    reset = shown.inner_text()
    assert reset != initial
    verifier = User.objects.get(username="desk_verifier")
    assert verifier.must_change_password and verifier.check_password(reset)
    assert not verifier.check_password(PASSWORD)
