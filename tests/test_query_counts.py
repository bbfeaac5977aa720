"""The talent's request list and a request's detail read a fixed number of queries, however many
requests, events, comments and attachments there are (issue 13 point 8).

Each check measures the same view twice, once with 2 and once with 12 of what it lists, asserts
the two counts are equal, and caps them at the number measured when this was written, so a new
query per row (or a new constant one) fails here and is looked at.
"""

import itertools
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from services.conversation import request_attach, request_comment
from services.feedback import request_rate
from services.models import ServiceRequest
from services.seed import seed_service_types
from services.workflow import (
    request_accept,
    request_ask_info,
    request_resolve,
    request_supply_info,
)
from tests.cards_support import PDF
from tests.requests_support import file_housing, give_card, request_in

pytestmark = pytest.mark.django_db

# The counts measured when this was written (SQLite and PostgreSQL alike): the caps. A change
# that lowers one should lower it here; one that raises it needs a reason.
LIST_PAGE = 5
LIST_API = 4
DETAIL_PAGE = 9
DESK_PAGE = 12
DETAIL_API_TALENT = 9
DETAIL_API_STAFF = 9


@pytest.fixture(autouse=True)
def world(departments, talent):
    seed_service_types()
    give_card(talent)


_seq = itertools.count(1)


def pdf():
    return SimpleUploadedFile(f"材料{next(_seq)}.pdf", PDF, "application/pdf")


def worked(req, talent, handler, n):
    """``n`` of everything on an open request: talent comments, replies, internal notes,
    attachments from both sides, and rounds of 补正 (two events each). Returns it fresh."""
    if req.status == "submitted":
        req = request_accept(req=req, actor=handler)
    for i in range(n):
        request_comment(req=req, actor=talent, body=f"留言{next(_seq)}")
        request_comment(req=req, actor=handler, body=f"回复{next(_seq)}")
        request_comment(req=req, actor=handler, body=f"内部备注{next(_seq)}", internal=True)
        request_attach(req=req, actor=talent if i % 2 else handler, upload=pdf())
        req = request_ask_info(req=req, actor=handler, items=[f"证明{i}", "劳动合同"])
        req = request_supply_info(req=req, actor=talent, note=f"已补充{i}")
    return ServiceRequest.objects.get(pk=req.pk)


# Every status a talent's list shows, in turn; the last ones rated (with a follow-up).
STATUSES = ("accepted", "awaiting_talent", "resolved", "closed", "submitted", "rejected")


def requests_for(talent, handler, n):
    """``n`` requests of ``talent`` across every status, the open ones with comments,
    attachments and events, one closed with a bad rating (a follow-up)."""
    made = []
    for i in range(n):
        status = STATUSES[i % len(STATUSES)]
        if status in ("submitted", "rejected"):
            made.append(request_in(status, talent, handler))
            continue
        req = worked(request_in("accepted", talent, handler), talent, handler, 1)
        if status == "awaiting_talent":
            req = request_ask_info(req=req, actor=handler, items=["无房证明"])
        elif status in ("resolved", "closed"):
            req = request_resolve(req=req, actor=handler, note="已办结")
        if status == "closed":
            request_rate(req=req, actor=talent, score=1 if i % 2 else 5, comment="一般")
        made.append(req)
    return made


def count(client, url):
    client.get(url)  # warm: what is cached per process or session is not what is measured
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries), response


def signed_in(user):
    browser = Client()
    browser.force_login(user)
    return browser


# --- the talent's list ------------------------------------------------------------------------
def test_the_talents_list_page_and_api_do_not_grow_with_the_requests(
    client_for, talent, handler, django_assert_max_num_queries
):
    page, api = signed_in(talent), client_for(talent)
    first = requests_for(talent, handler, 2)
    page_few, shown = count(page, "/requests/")
    assert all(r.number in shown.content.decode() for r in first)
    api_few, listed = count(api, "/api/v1/service-requests/")
    assert listed.json()["count"] == 2

    requests_for(talent, handler, 10)
    page_many, shown = count(page, "/requests/")
    assert shown.content.decode().count('href="/requests/FW-') >= 12
    api_many, listed = count(api, "/api/v1/service-requests/")
    assert listed.json()["count"] == 12 and len(listed.json()["results"]) == 12
    assert (page_few, api_few) == (page_many, api_many)
    with django_assert_max_num_queries(LIST_PAGE):
        page.get("/requests/")
    with django_assert_max_num_queries(LIST_API):
        api.get("/api/v1/service-requests/")


# --- one request ------------------------------------------------------------------------------
def test_a_requests_detail_does_not_grow_with_its_events_comments_and_attachments(
    client_for, talent, handler, django_assert_max_num_queries
):
    req = worked(file_housing(talent), talent, handler, 2)
    views = {
        "page": (signed_in(talent), f"/requests/{req.number}/"),
        "desk": (signed_in(handler), f"/desk/requests/{req.number}/"),
        "api_talent": (client_for(talent), f"/api/v1/service-requests/{req.number}/"),
        "api_staff": (client_for(handler), f"/api/v1/service-requests/{req.number}/"),
    }
    few = {name: count(*view)[0] for name, view in views.items()}

    worked(req, talent, handler, 10)
    many, seen = {}, {}
    for name, view in views.items():
        many[name], seen[name] = count(*view)
    # What was measured is the whole of it: 12 of each on the pages and in the API.
    page, desk = seen["page"].content.decode(), seen["desk"].content.decode()
    files = f'href="/requests/{req.number}/attachments/'
    for html in (page, desk):
        assert (
            len(set(re.findall(r"留言\d+", html))) == len(set(re.findall(r"回复\d+", html))) == 12
        )
        assert html.count(files) == 2 * 12  # open and download links
    assert "内部备注" not in page and len(set(re.findall(r"内部备注\d+", desk))) == 12
    mine, theirs = seen["api_talent"].json(), seen["api_staff"].json()
    assert len(mine["comments"]) == 24 and len(theirs["comments"]) == 36
    assert len(mine["attachments"]) == len(theirs["attachments"]) == 12
    assert len(mine["events"]) == 2 + 2 * 12  # filed, accepted, then ask/supply rounds
    assert few == many, (few, many)
    caps = {
        "page": DETAIL_PAGE,
        "desk": DESK_PAGE,
        "api_talent": DETAIL_API_TALENT,
        "api_staff": DETAIL_API_STAFF,
    }
    for name, (client, url) in views.items():
        with django_assert_max_num_queries(caps[name]):
            client.get(url)
