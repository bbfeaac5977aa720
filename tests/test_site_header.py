"""The site's shell (templates/base.html) for keyboards, screen readers and phones (issue 14):
the skip link comes first, the 菜单 button says what it controls and whether it is open, the
main region is its target, and the header keeps the 待办 and 消息 counts beside the button."""

import re

import pytest

from portal.notify import notification_create, unread_count
from services.seed import seed_service_types
from tests.requests_support import file_housing, give_card

pytestmark = pytest.mark.django_db

FOCUSABLE = re.compile(r"<(a|button|input|select|textarea)\b[^>]*>", re.S)


def page(client, url="/") -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def body(html: str) -> str:
    return html.split("<body", 1)[1]


def first_focusable(html: str) -> str:
    """The first element in the body a keyboard reaches (hidden inputs do not count)."""
    for found in FOCUSABLE.finditer(body(html)):
        tag = found.group(0)
        if 'type="hidden"' not in tag and "hidden>" not in tag and 'tabindex="-1"' not in tag:
            return tag
    raise AssertionError("nothing focusable")


def menu_button(html: str) -> str:
    found = re.search(r'<button[^>]*class="menu-toggle"[^>]*>.*?</button>', html, re.S)
    assert found, "no 菜单 button"
    return found.group(0)


@pytest.mark.parametrize("who", [None, "talent", "handler", "admin_user", "auditor"])
def test_the_skip_link_comes_first_and_leads_to_the_main_region(client, request, who):
    if who:
        client.force_login(request.getfixturevalue(who))
    html = page(client)
    assert first_focusable(html) == '<a class="skip-link" href="#main">'
    assert re.search(r'class="skip-link" href="#main">跳到主要内容</a>', html)
    # Its target: the one main region, focusable by script only (so the skip moves focus).
    assert re.findall(r"<main\b[^>]*>", html) == [
        '<main class="container" id="main" tabindex="-1">'
    ]
    assert html.count('id="main"') == 1


def test_the_menu_button_controls_the_menu_and_says_it_is_closed(client, talent):
    client.force_login(talent)
    html = page(client)
    button = menu_button(html)
    assert 'type="button"' in button and ">菜单</span></button>" in button
    assert 'action="/language/"' in html.split("</header>", 1)[0].split('id="site-menu"', 1)[1]
    assert 'aria-controls="site-menu"' in button and 'aria-expanded="false"' in button
    # The menu it controls holds the whole list, in the header; the script that opens it is
    # a static file (the CSP allows no inline script).
    header = html.split("</header>", 1)[0]
    menu = header.split('id="site-menu"', 1)[1]
    for label in ("首页", "服务事项", "我的优才卡", "我的账户", "退出（"):
        assert label in menu, label
    assert re.search(r'<script src="/static/js/site-menu\.js[^"]*" defer></script>', html)
    assert "<script>" not in html


def test_a_visitor_has_the_menu_button_too_with_sign_in_behind_it(client):
    html = page(client)
    menu_button(html)
    menu = html.split("</header>", 1)[0].split('id="site-menu"', 1)[1]
    assert "登录" in menu and "注册" in menu


def test_the_header_keeps_the_todo_and_unread_counts_beside_the_button(
    client, departments, talent, handler
):
    seed_service_types()
    give_card(talent)
    file_housing(talent)
    file_housing(talent)
    notification_create(recipient=handler, kind="k", title="新的申请")
    client.force_login(handler)
    html = page(client, "/services/")
    header = html.split("</header>", 1)[0]
    quick = header.split('class="nav-quick"', 1)[1].split("</ul>", 1)[0]
    # Beside the 菜单 button (what a phone shows without opening the menu) …
    assert re.search(
        r'<a href="/desk/" class="todo"[^>]*>待办 <span class="badge">2</span>'
        r'<span class="visually-hidden"> 件待办</span></a>',
        quick,
    )
    unread = re.search(
        r'<a href="/inbox/"[^>]*><span class="quick-label">消息</span> '
        r'<span class="badge">(\d+)</span>'
        r'<span class="visually-hidden"> 条未读</span></a>',
        quick,
    )
    assert unread and int(unread.group(1)) == unread_count(handler) > 0
    assert quick.index("待办") < quick.index("消息") < quick.index("menu-toggle")
    # … and in the full list as before (shown from 768 px).
    menu = header.split('id="site-menu"', 1)[1]
    assert 'class="todo"' in menu and "/inbox/" in menu


def test_a_talent_has_no_todo_count(client, talent):
    client.force_login(talent)
    assert 'class="todo"' not in page(client).split("</header>", 1)[0]
