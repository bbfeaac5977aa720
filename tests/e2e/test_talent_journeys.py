"""A talent's whole journey on a small phone (320 px), a phone (375 px) and a desktop (1280 px),
in Chinese and in English (issue 14 point 5).

j. A talent in Chinese registers with a resident ID, applies for the card with documents and a
   photo, is approved by the 人才办, shows the card (the QR code whole on the first screen of a
   phone), downloads the e-certificate and the phone image, files a 子女入学 request; the
   education bureau resolves it; the talent rates it 5 stars.
k. A foreign talent switches the home page to English (through the 菜单 button on a phone),
   registers with a passport (after one wrong passport number, whose message is English),
   applies, is approved, shows the card, files a talent-apartment request, and rates it. Every
   page the talent sees is English: ``<html lang="en">`` and no Chinese in <main> except the
   brand 巴州优才卡 (a proper name) and the names of the staff who worked the request.

Only the talent's steps are in the browser; the approval and the department's work are the
domain functions the staff's pages call (journeys a and b of test_journeys.py drive those pages).
Each page the talent visits must fit the screen (support.fits) and passes axe-core's check
(conftest: Screen's init script; any violation fails the journey at its end), and a console
error fails it too. Screenshots of the key pages go to SCREENSHOT_DIR/<width>/ (phone320,
phone, desktop) as 3x-zh-… and 4x-en-….
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cards.applications import application_approve
from cards.models import CardApplication
from portal.models import Role, User
from services.models import ServiceRequest
from services.workflow import request_accept, request_resolve
from tests.e2e.conftest import SCREENSHOT_DIR, Screen
from tests.e2e.support import evidence_file, fits, menu, message, open_menu, press, seed_world, snap
from tests.factories import PASSWORD, UserFactory, resident_id

# reset_sequences: the same ids and numbers in every run, so the screenshots do not drift.
pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)
expect.set_options(timeout=10_000)

# Width name (the screenshot folder) → the viewport: the small and the common phone at their
# real heights (the QR code must be whole on that first screen), and a desktop.
SIZES = {"phone320": (320, 568), "phone": (375, 667), "desktop": (1280, 900)}
NUMBER = re.compile(r"FW-\d{8}-\d{4}")
# Chinese characters and CJK punctuation (full-width brackets and commas included).
CJK = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
# A stretch of Chinese: runs of CJK with at most a few other characters between them.
CJK_SPAN = re.compile(rf"{CJK}(?:[^\n]{{0,12}}?{CJK})*")
# Chinese an English page may show: the brand, a proper name.
ALLOWED_CJK = ["巴州优才卡"]


class SizedScreen(Screen):
    """conftest's Screen (console errors, axe-core, screenshots) at one of SIZES."""

    def __init__(self, browser, base_url, name):
        width, height = SIZES[name]
        self.size = {"width": width, "height": height}
        super().__init__(browser, base_url, "phone" if width < 768 else "desktop")
        self.width_name = name
        # Chinese found on the English journey's pages (english()): text → (context, pages).
        self.chinese: dict[str, tuple[str, list[str]]] = {}
        # Other findings that let the journey go on (qr_on_first_screen()).
        self.problems: list[str] = []

    def new_page(self):
        page = super().new_page()
        page.set_viewport_size(self.size)
        return page

    def shot(self, name, page=None):
        """As Screen.shot, with CSS transitions run to their end first (a box ticked just
        before would be caught half drawn)."""
        folder = SCREENSHOT_DIR / self.width_name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        (page or self.page).screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    @property
    def phone(self):
        return self.size["width"] < 768


@pytest.fixture(params=list(SIZES))
def talent_screen(request, browser, live_server):
    """The talent's browser at this test's width. Console errors and axe-core violations on
    any page fail the test (as conftest's screen_factory does), and so does Chinese on the
    English journey's pages, all listed together."""
    screen = SizedScreen(browser, live_server.url, request.param)
    yield screen
    screen.close()
    real = [
        e
        for e in screen.errors
        if "Failed to load resource: the server responded with a status of 4" not in e
    ]
    problems = [*(f"console error: {e}" for e in real), *findings(screen)]
    # conftest's axe-core check (Screen.a11y), where it is in place.
    problems += [f"axe-core: {v}" for v in dict.fromkeys(getattr(screen, "a11y", []))]
    assert problems == [], "\n".join(problems)


def findings(screen):
    """What the journey noted and went on after: Chinese on English pages, a QR code off the
    first screen. Each once; taken off the screen."""
    found = [*screen.problems]
    found += [
        f"Chinese on English pages: {text!r} {context} on {', '.join(dict.fromkeys(pages))}"
        for text, (context, pages) in screen.chinese.items()
    ]
    screen.problems.clear()
    screen.chinese.clear()
    return found


@pytest.fixture
def world(db):
    """Departments, criteria, the catalogue, the 2026 calendar, and the staff who approve the
    card and work the requests (through the domain functions)."""
    dept = seed_world()
    return {
        "admin": UserFactory(
            username="zzb_admin", real_name="郑人才办", role=Role.ADMIN, department=dept["ZZB"]
        ),
        "jyj": UserFactory(
            username="jyj_handler", real_name="张老师", role=Role.STAFF, department=dept["JYJ"]
        ),
        "zjj": UserFactory(
            username="zjj_handler", real_name="周经办", role=Role.STAFF, department=dept["ZJJ"]
        ),
    }


@pytest.fixture
def files(tmp_path):
    """The talent's documents: the 证件照 (a JPEG at least 200×250, cards.photos), an ID scan
    and one-page PDFs."""

    def image(name, color, kind, size=(120, 80)):
        return evidence_file(tmp_path, name, color, kind, size)

    return {
        "photo": image("photo.jpg", "#438edb", "JPEG", size=(300, 400)),
        "id_card": image("id.png", "#90caf9", "PNG"),
        "degree": image("degree.pdf", "#a5d6a7", "PDF"),
        "contract": image("contract.pdf", "#ffcc80", "PDF"),
    }


# --- helpers --------------------------------------------------------------------------------
def english(screen, where, allow=()):
    """The page is English: <html lang="en…"> and no Chinese in <main> beyond ALLOWED_CJK and
    ``allow`` (proper names: the staff's names). What is left is noted on the screen, each
    stretch of Chinese once with its context and pages, and fails the journey at its end (so
    that one run lists every page's leftovers)."""
    page = screen.page
    fits(page, where)
    lang = page.evaluate("document.documentElement.lang")
    if not lang.startswith("en"):
        screen.chinese.setdefault(f"<html lang={lang!r}>", ("", []))[1].append(where)
    text = page.locator("main").inner_text()
    for word in [*ALLOWED_CJK, *allow]:
        text = text.replace(word, "…")
    for m in CJK_SPAN.finditer(text):
        context = text[max(m.start() - 20, 0) : m.end() + 20].replace("\n", " ")
        # One line for the same words with other letters and numbers (A类第1项, D类第2项).
        words = re.sub(r"[A-Za-z0-9]+", "_", m.group())
        screen.chinese.setdefault(words, (f"…{context}…", []))[1].append(where)


def qr_on_first_screen(screen):
    """The card page's live QR code: loaded, whole on the first screen (a phone's real
    height), at least 180 px wide (a scanner reads it at arm's length). A miss is noted and
    fails the journey at its end, after the rest of it."""
    page = screen.page
    image = page.locator("#card-qr-image")
    expect(image).to_be_visible()
    expect(image).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
    page.evaluate("window.scrollTo(0, 0)")
    box = image.bounding_box()
    width, height = screen.size["width"], screen.size["height"]
    inside = box["x"] >= 0 and box["x"] + box["width"] <= width
    inside = inside and box["y"] >= 0 and box["y"] + box["height"] <= height
    if not inside or box["width"] < 180:
        screen.problems.append(
            f"{page.url}: the QR code {box} is not whole on the first {width}x{height} screen"
        )


def keep_the_card(page, certificate, image):
    """Download the e-certificate (a PDF) and the phone image (a PNG), when the page offers
    them (the image needs a Chinese font on the server)."""
    links = page.locator("main .card-keep-actions a")
    expect(links.first).to_be_visible()
    with page.expect_download() as pdf:
        links.filter(has_text=certificate).click()
    assert Path(pdf.value.path()).read_bytes()[:5] == b"%PDF-"
    button = links.filter(has_text=image)
    if button.count():
        with page.expect_download() as png:
            button.click()
        assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def open_inbox(page):
    """消息 in the header (beside 菜单 on a phone)."""
    with page.expect_navigation():
        page.locator("header.site-header a[href$='/inbox/']:visible").first.click()
    fits(page)


def approve(talent):
    """The 人才办 approves the talent's submitted application (journey a drives that page)."""
    app = CardApplication.objects.get(talent=talent)
    admin = User.objects.get(username="zzb_admin")
    return application_approve(application=app, actor=admin)


def work(number, handler, note):
    """The department accepts and resolves the request (journey b drives the desk)."""
    req = ServiceRequest.objects.get(number=number)
    req = request_accept(req=req, actor=handler)
    return request_resolve(req=req, actor=handler, note=note)


def upload(page, kind, path, button):
    page.select_option("#id_kind", kind)
    page.set_input_files("#id_file", path)
    press(page, button)


# --- j. a talent in Chinese -----------------------------------------------------------------
def test_j_a_talent_in_chinese_from_registration_to_a_rated_request(talent_screen, world, files):
    screen = talent_screen
    page = screen.page

    # The home page, then 注册 from the menu (behind 菜单 on a phone).
    screen.go("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("巴州优才卡")
    snap(screen, "30-zh-home")
    if hasattr(screen, "a11y"):  # conftest's axe-core check ran here (and found nothing)
        assert page.evaluate("window.__a11y") == []
    menu(page, "注册")
    expect(page.locator("h1")).to_have_text("注册人才账户")
    page.fill("#id_username", "qian_jiaoshou")
    page.fill("#id_real_name", "钱教授")
    page.select_option("#id_id_type", "resident")
    page.fill("#id_id_number", resident_id(711, birth="19850316"))
    page.fill("#id_phone", "13911112222")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.check("#id_consent")
    snap(screen, "31-zh-register")
    press(page, "注册")
    message(page, "注册成功，欢迎使用巴州优才卡服务平台。")
    expect(page.locator("header.site-header")).to_contain_text("退出（钱教授）")
    talent = User.objects.get(username="qian_jiaoshou")

    # Apply: D02 全日制博士研究生, its documents and the 证件照.
    menu(page, "我的优才卡")
    expect(page.locator("main")).to_contain_text("您还没有巴州优才卡")
    with page.expect_navigation():
        page.locator("main a", has_text="申请优才卡").click()
    fits(page)
    expect(page.locator("h1")).to_have_text("申请优才卡")
    page.check("#criterion-D02")
    page.fill("#id_employer", "四川省巴中中学")
    page.fill("#id_position", "物理教师")
    page.fill("#id_education", "博士研究生")
    press(page, "保存申请（草稿）")
    message(page, "申请已保存为草稿")
    upload(page, "photo", files["photo"], "上传材料")
    message(page, "（证件照）")
    upload(page, "id_card", files["id_card"], "上传材料")
    upload(page, "degree", files["degree"], "上传材料")
    upload(page, "contract", files["contract"], "上传材料")
    expect(page.locator(".checklist .present")).to_have_count(4)
    press(page, "提交申请")
    message(page, "申请已提交，请等待区委组织部（人才办）审核。")
    expect(page.locator(".status").first).to_have_text("待审核")

    approve(talent)

    # 我的优才卡: the approval is in the inbox count, the QR code on the first screen.
    menu(page, "我的优才卡")
    card = talent.cards.get()
    expect(page.locator(".talent-card .card-number")).to_have_text(card.number)
    expect(page.locator(".talent-card")).to_contain_text("钱**")
    expect(page.locator("#card-qr-status")).to_contain_text("秒后失效")
    qr_on_first_screen(screen)
    snap(screen, "32-zh-card-qr")
    keep_the_card(page, "下载电子证书（PDF）", "保存图片到手机")

    # 子女入学 (区教育科技局, every tier): the form, with the guardian's consent.
    menu(page, "服务事项")
    school = page.locator("article.service", has_text="子女入学")
    expect(school).to_contain_text("区教育科技局")
    with page.expect_navigation():
        school.get_by_role("link", name="我要申请").click()
    fits(page)
    expect(page.locator("h1")).to_have_text("申请：子女入学")
    page.fill("#id_field_child_name", "钱小文")
    page.fill("#id_field_child_birth_date", "2019-05-20")
    page.select_option("#id_field_request_kind", "转学")
    page.select_option("#id_field_grade", "小学二年级")
    page.fill("#id_field_preferred_school", "巴州区第三小学")
    page.fill("#id_field_current_school", "成都市龙江路小学")
    page.check("#id_field_living_in_bazhou_0")
    page.fill("#id_description", "随父工作调动来巴，希望春季学期转入巴州区第三小学。")
    page.check("#id_consent")
    snap(screen, "33-zh-request-form")
    press(page, "提交申请")
    message(page, "申请已提交，编号 FW-")
    number = page.locator("h1").inner_text()
    assert NUMBER.fullmatch(number)
    expect(page.locator(".status").first).to_have_text("待受理")

    # The education bureau accepts and places the child; the talent sees the timeline.
    work(number, world["jyj"], "已协调巴州区第三小学二年级（3）班插班，请于2月24日报到。")
    page.reload()
    fits(page)
    expect(page.locator(".status").first).to_have_text("已办结")
    expect(page.locator("article.approved")).to_contain_text("巴州区第三小学二年级（3）班")
    timeline = page.locator("ol.timeline > li")
    expect(timeline).to_have_count(3)
    expect(timeline.first).to_contain_text("提交")
    snap(screen, "34-zh-request-timeline")

    # 5 stars.
    page.locator("#rate").get_by_label("5星 非常满意").check()
    page.fill("#id_rate-comment", "老师耐心细致，一周就办好了。")
    press(page, "提交评价")
    message(page, "感谢您的评价！")
    expect(page.locator("main")).to_contain_text("5星 非常满意")
    expect(page.locator(".status").first).to_have_text("已归档")
    snap(screen, "35-zh-rated")

    # 我的申请 lists it.
    menu(page, "我的申请")
    expect(page.locator("main table tbody tr", has_text=number)).to_contain_text("子女入学")

    # 消息: the approval and the request's notices.
    open_inbox(page)
    expect(page.locator("main")).to_contain_text("您的优才卡申请已通过认定")
    expect(page.locator("main")).to_contain_text(number)
    noted = findings(screen)
    assert noted == [], "\n".join(noted)


# --- k. a foreign talent in English ---------------------------------------------------------
def test_k_a_foreign_talent_in_english_from_registration_to_a_rated_request(
    talent_screen, world, files
):
    screen = talent_screen
    page = screen.page
    staff = [world["zjj"].real_name]  # the handler's name on the timeline is a proper name

    # The browser asks for Chinese: the home page is Chinese until the switch says English.
    screen.go("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    if screen.phone:
        # On a phone the switch is in the menu, behind the 菜单 button.
        expect(page.locator("header.site-header .language-switch")).to_be_hidden()
        open_menu(page)
    switch = page.locator("header.site-header .language-switch")
    english_button = switch.get_by_role("button", name="English", exact=True)
    expect(english_button).to_have_attribute("aria-pressed", "false")
    with page.expect_navigation():
        english_button.click()
    english(screen, "home")
    expect(page.locator("h1")).to_have_text("Bazhou Talent Card (巴州优才卡)")
    if screen.phone:
        open_menu(page)
    expect(english_button).to_have_attribute("aria-pressed", "true")
    snap(screen, "40-en-home")

    # Register with a passport. First a number with a character no passport has.
    menu(page, "Register")
    english(screen, "register")
    page.fill("#id_username", "anna_schmidt")
    page.fill("#id_real_name", "Anna Schmidt")
    page.select_option("#id_id_type", "passport")
    page.fill("#id_id_number", "C01X#0050")
    page.fill("#id_phone", "13922223333")
    page.fill("#id_email", "anna.schmidt@example.com")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.check("#id_consent")
    press(page, "Register")
    english(screen, "register (errors)")
    id_error = page.locator("#id_id_number + small.field-error#id_id_number_error")
    expect(id_error).to_be_visible()
    expect(id_error).to_have_text(
        re.compile(r"^The passport number is not in a valid format\.$", re.I)
    )
    expect(page.locator("#id_real_name")).to_have_value("Anna Schmidt")
    snap(screen, "41-en-register-errors")
    assert not User.objects.filter(username="anna_schmidt").exists()
    page.fill("#id_id_number", "C01X00T47")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.check("#id_consent")
    press(page, "Register")
    english(screen, "registered")
    message(page, "You are registered.")
    talent = User.objects.get(username="anna_schmidt")
    assert talent.id_type == "passport"
    assert talent.language == "en"

    # Apply for the card: a doctoral graduate, with documents and photo.
    menu(page, "My Talent Card")
    english(screen, "my card (none yet)")
    with page.expect_navigation():
        page.locator("main a[href$='/card/apply/']").click()
    english(screen, "apply")
    page.check("#criterion-D02")
    page.fill("#id_employer", "Bazhou People's Hospital")
    page.fill("#id_position", "Cardiologist")
    page.fill("#id_education", "Doctorate")
    press(page, "Save application (draft)")
    english(screen, "application (draft)")
    upload_button = page.locator("main form.upload-form button[type=submit]").inner_text()
    upload(page, "photo", files["photo"], upload_button)
    english(screen, "application (photo uploaded)")
    upload(page, "id_card", files["id_card"], upload_button)
    upload(page, "degree", files["degree"], upload_button)
    upload(page, "contract", files["contract"], upload_button)
    expect(page.locator(".checklist .present")).to_have_count(4)
    submit = page.locator("main form[action$='/submit/'] button[type=submit]").last
    with page.expect_navigation():
        submit.click()
    english(screen, "application (submitted)")

    approve(talent)

    # My talent card: the QR code on the first screen, the certificate and the image.
    menu(page, "My Talent Card")
    card = talent.cards.get()
    expect(page.locator(".talent-card .card-number")).to_have_text(card.number)
    expect(page.locator("#card-qr-image")).to_be_visible()
    english(screen, "my card")
    snap(screen, "42-en-card-qr")
    qr_on_first_screen(screen)
    keep_the_card(page, "Download the e-certificate (PDF)", "Save the image to your phone")

    # Services → Talent apartment → the form.
    menu(page, "Services")
    english(screen, "services")
    housing = page.locator("article.service", has_text="Talent apartment")
    with page.expect_navigation():
        housing.locator("footer a[href$='/apply/']").click()
    english(screen, "apply for housing")
    expect(page.locator("h1")).to_contain_text("Talent apartment")
    page.fill("#id_field_family_size", "2")
    page.select_option("#id_field_room_type", "一室一厅")  # the value stored stays Chinese
    page.fill("#id_field_move_in_date", "2026-12-20")
    page.select_option("#id_field_current_housing", "租房")
    page.check("#id_field_no_own_house_0")
    page.fill("#id_description", "Moving with my husband; a flat near the hospital, please.")
    snap(screen, "43-en-request-form")
    with page.expect_navigation():
        page.locator("main form.request-form button[type=submit]").click()
    english(screen, "request filed")
    number = page.locator("h1").inner_text()
    assert NUMBER.fullmatch(number)

    # The housing bureau allocates a flat (in English, for this talent).
    work(number, world["zjj"], "Flat 3-402 (one bedroom) is yours from 20 December.")
    page.reload()
    english(screen, "request resolved", allow=staff)
    expect(page.locator("article.approved")).to_contain_text("Flat 3-402")
    expect(page.locator("ol.timeline > li")).to_have_count(3)
    snap(screen, "44-en-request-timeline")

    # Rate it 4 stars.
    page.locator("#rate input[name='rate-score'][value='4']").check()
    page.fill("#id_rate-comment", "Quick and friendly.")
    with page.expect_navigation():
        page.locator("#rate button[type=submit]").click()
    english(screen, "rated", allow=staff)
    expect(page.locator("main")).to_contain_text("Quick and friendly.")
    snap(screen, "45-en-rated")

    # My requests lists it, in English.
    menu(page, "My requests")
    english(screen, "my requests")
    expect(page.locator("main table tbody tr", has_text=number)).to_contain_text("Talent apartment")

    # Messages: the approval and the request's notices, written in the talent's language.
    open_inbox(page)
    english(screen, "inbox", allow=staff)
    expect(page.locator("main")).to_contain_text("Your talent card application has been approved")
    expect(page.locator("main")).to_contain_text(number)
    noted = findings(screen)
    assert noted == [], "\n".join(noted)
