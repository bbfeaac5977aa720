# SQL here is assembled from constants of this module and the policies' ids, never from input.
# ruff: noqa: S608
"""The benchmark's subsidies (issue 15, 政策直达快享): the demo policies and, for the card
holders, entitlements with their instalments and timelines, written in SQL like the requests.

- The demo policies come from ``subsidies.seed.seed_policies``; their ``effective_from`` is
  moved back to the first card's issue, so that every card was offered its policies when it
  was issued (政策直达) and a three-year schedule approved early in 2024 can have ended.
- 60 % of the holders get one 安家补助 (SETTLE-SS / BS / FG / ZG by share), 40 % the
  租房补贴 RENT-36 (36 monthly instalments); the demo talent gets SETTLE-ZG and RENT-36.
- How an entitlement lives (draws from ``random()`` after ``setseed``): offered at the
  card's issue; 6 % declined, 4 % never confirmed; confirmed after days (70 %) or months
  (30 %: the talent slow to answer); reviewed in 0.1–1.1 × the review limit (some late),
  8 % returned once (60 % of them confirmed again), 2.5 % never reviewed (the overdue
  review backlog); approved ones get their schedule from the approval day; 2 % suspended.
  Instalments are paid around their due day (8 % late), 2 % never (owed, overdue), 1.5 %
  failed; an entitlement whose instalments are all paid is completed. A step after "now"
  has not happened yet.
- Every derived column as ``subsidies.clocks`` derives it (WorkdaySql: the calendar's
  working days), the bank account masked and encrypted (one Fernet token per account number
  of a small set, made by ``portal.crypto.encrypt`` once), events for every step.

``subsidies_check`` compares a sample with ``subsidies.clocks`` (the test and the report).
"""

import functools

from django.db import connection
from django.utils import timezone

from bench.generate import SPAN_FIRST, WorkdaySql, _insert
from subsidies.models import PaidDay

# The 安家补助 policies by share of the holders who get one (shares add up to 1).
SETTLE_SHARES = [("SETTLE-SS", 0.50), ("SETTLE-BS", 0.15), ("SETTLE-FG", 0.25), ("SETTLE-ZG", 0.10)]
SETTLE_SHARE = 0.60
RENT_SHARE = 0.40
ACCOUNTS = 16  # distinct made-up account numbers (one Fernet token each)
BANK = "中国工商银行巴中分行营业部"
RETURN_ITEMS = '["开户银行请填写到支行", "户名须与身份证上的姓名一致"]'
DRAWS = [
    "r_decline", "r_never", "r_ctail", "r_cdelay", "r_return", "r_reconf", "r_rcdelay",
    "r_stuck", "r_rdelay", "r_rdelay2", "r_susp", "r_suspat", "r_actor", "r_acct",
]  # fmt: skip
INST_DRAWS = ["r_late", "r_pay", "r_owe", "r_fail"]


@functools.cache
def _accounts() -> str:
    """``ACCOUNTS`` made-up account numbers as a VALUES list (k, encrypted, masked)."""
    from portal import crypto
    from subsidies.entitlements import mask_account

    rows = []
    for k in range(ACCOUNTS):
        number = f"62220202001122{k:05d}"
        rows.append(f"({k}, '{crypto.encrypt(number)}', '{mask_account(number)}')")
    return "VALUES " + ", ".join(rows)


def _people() -> dict:
    """Department id → (staff id, lead id) of the paying departments' demo accounts; the
    admin who suspends."""
    from portal.demo import demo_department_people
    from portal.models import User
    from subsidies.models import Policy

    people = {}
    for department_id, code in Policy.objects.values_list("department_id", "department__code"):
        staff, lead = demo_department_people(code)
        ids = dict(User.objects.filter(username__in=(staff, lead)).values_list("username", "id"))
        people[department_id] = (ids.get(staff), ids.get(lead) or ids.get(staff))
    admin = User.objects.filter(username="demo_admin").values_list("id", flat=True).first()
    return {"departments": people, "admin": admin}


def _seed_policies(cursor) -> None:
    from subsidies.seed import seed_policies

    seed_policies()
    cursor.execute(
        """
        UPDATE subsidies_policy SET effective_from = LEAST(effective_from, (
            SELECT min((issued_at AT TIME ZONE 'Asia/Shanghai')::date) FROM cards_card))
        """
    )


def _stage_entitlements(cursor, now, seed: float, wd: WorkdaySql) -> None:
    """Temp table b_ent: one row per entitlement with every column and the facts of its past."""
    people = _people()
    cursor.execute("DROP TABLE IF EXISTS b_spol, b_sdept, b_e0, b_e1, b_e2, b_e3, b_ent")
    cursor.execute(
        """
        CREATE TEMP TABLE b_spol AS
        SELECT id AS policy_id, code, department_id, amount_total, review_days,
               name || '（' || policy_ref || '）' AS offer_note
        FROM subsidies_policy
        """
    )
    cursor.execute("CREATE TEMP TABLE b_sdept (dept_id bigint, staff_id bigint, lead_id bigint)")
    for dept, (staff, lead) in people["departments"].items():
        cursor.execute("INSERT INTO b_sdept VALUES (%s, %s, %s)", [dept, staff, lead])
    cursor.execute("SELECT setseed(%s)", [seed])
    cursor.execute(
        """
        CREATE TEMP TABLE b_e0 AS
        SELECT c.id AS card_id, c.holder_id AS talent_id, c.issued_at, u.real_name,
               u.username = 'demo_talent' AS demo,
               random() AS r_settle, random() AS r_pick, random() AS r_rent
        FROM cards_card c JOIN portal_user u ON u.id = c.holder_id
        WHERE c.status = 'active'
        ORDER BY c.id
        """
    )
    picks, total = [], 0.0
    for code, share in SETTLE_SHARES:
        total += share
        picks.append(f"WHEN e.r_pick < {total:.4f} THEN '{code}'")
    cursor.execute(
        f"""
        CREATE TEMP TABLE b_e1 AS
        SELECT e.card_id, e.talent_id, e.issued_at, e.real_name, e.demo,
               CASE WHEN e.demo THEN 'SETTLE-ZG'
                    {" ".join(picks[:-1])} ELSE '{SETTLE_SHARES[-1][0]}' END AS code
        FROM b_e0 e WHERE e.demo OR e.r_settle < {SETTLE_SHARE}
        UNION ALL
        SELECT e.card_id, e.talent_id, e.issued_at, e.real_name, e.demo, 'RENT-36'
        FROM b_e0 e WHERE e.demo OR e.r_rent < {RENT_SHARE}
        ORDER BY 1, 6
        """
    )
    # The demo talent's entitlements are neither declined, left unconfirmed nor stuck: the
    # persona shows a living schedule.
    draws = ", ".join(
        f"CASE WHEN e.demo AND '{d}' IN ('r_decline', 'r_never', 'r_stuck', 'r_return', "
        f"'r_susp', 'r_ctail') THEN 0.999 ELSE random() END AS {d}"
        for d in DRAWS
    )
    cursor.execute(
        f"""
        CREATE TEMP TABLE b_e2 AS
        SELECT e.*, p.policy_id, p.department_id, p.amount_total, p.review_days, p.offer_note,
               e.issued_at + interval '90 seconds' AS offered_at, {draws}
        FROM b_e1 e JOIN b_spol p ON p.code = e.code
        """
    )
    # Every step's time, whether it has happened by now or not.
    L = wd.local
    cursor.execute(
        """
        CREATE TEMP TABLE b_e3 AS
        SELECT e.*, t.*,
               t.c1 <= %(now)s AND NOT e.declining AND e.r_never >= 0.04 AS c1_happened,
               e.declining AND t.decline_at <= %(now)s AS declined
        FROM (SELECT e.*, e.r_decline < 0.06 AS declining, e.r_return < 0.08 AS returning,
                     e.r_reconf < 0.6 AS reconfirming, e.r_stuck < 0.025 AS stuck
              FROM b_e2 e) e
        CROSS JOIN LATERAL (
            SELECT e.offered_at + (1 + e.r_cdelay * 60) * interval '1 day' AS decline_at,
                   e.offered_at + CASE WHEN e.r_ctail < 0.7 THEN 0.2 + e.r_cdelay * 30
                                       ELSE 30 + e.r_cdelay * 500 END * interval '1 day' AS c1
        ) t
        """,
        {"now": now},
    )
    cursor.execute(
        """
        CREATE TEMP TABLE b_e4 AS
        SELECT e.*, d.*,
               e.returning AND e.reconfirming AND d.ret_happened
                   AND d.c2 <= %(now)s AS c2_happened
        FROM b_e3 e
        CROSS JOIN LATERAL (
            SELECT e.c1 + e.review_days * 1.4 * (0.1 + e.r_rdelay) * interval '1 day' AS dec1,
                   e.c1_happened AND e.returning AND NOT e.stuck
                   AND e.c1 + e.review_days * 1.4 * (0.1 + e.r_rdelay) * interval '1 day'
                       <= %(now)s AS ret_happened,
                   e.c1 + e.review_days * 1.4 * (0.1 + e.r_rdelay) * interval '1 day'
                   + (0.5 + e.r_rcdelay * 15) * interval '1 day' AS c2
        ) d
        """,
        {"now": now},
    )
    cursor.execute(
        """
        CREATE TEMP TABLE b_e5 AS
        SELECT e.*, a.*,
               a.approve_plan <= %(now)s AND NOT e.stuck
                   AND (NOT e.returning OR e.c2_happened) AND e.c1_happened AS approved
        FROM b_e4 e
        CROSS JOIN LATERAL (
            SELECT CASE WHEN e.returning THEN e.c2 ELSE e.c1 END
                   + e.review_days * 1.4 * (0.1 + e.r_rdelay2) * interval '1 day'
                   AS approve_plan,
                   CASE WHEN e.c2_happened THEN e.c2 WHEN e.c1_happened THEN e.c1 END AS conf_at
        ) a
        """,
        {"now": now},
    )
    cursor.execute(
        f"""
        CREATE TEMP TABLE b_ent AS
        SELECT e.*, r.*,
               CASE WHEN e.approved AND e.r_susp < 0.02
                    THEN e.approve_plan + e.r_suspat * (%(now)s - e.approve_plan) END AS susp_at,
               CASE WHEN e.declined THEN 'declined'
                    WHEN NOT e.c1_happened THEN 'offered'
                    WHEN e.approved THEN 'approved'
                    WHEN e.ret_happened AND NOT e.c2_happened THEN 'returned'
                    ELSE 'confirmed' END AS status0,
               row_number() OVER (ORDER BY e.offered_at, e.card_id, e.policy_id)
                   + (SELECT COALESCE(max(id), 0) FROM subsidies_entitlement) AS eid,
               CASE WHEN e.r_actor < 0.7 THEN d.staff_id ELSE d.lead_id END AS approver_id,
               d.staff_id AS dept_staff,
               floor(e.r_acct * {ACCOUNTS})::int AS acct
        FROM b_e5 e
        JOIN b_sdept d ON d.dept_id = e.department_id
        CROSS JOIN LATERAL (
            SELECT {wd.add(L("e.conf_at"), "e.review_days")} AS rdue_day
        ) r0
        CROSS JOIN LATERAL (
            SELECT r0.rdue_day, {wd.end_of_day("r0.rdue_day")} AS rdue_at,
                   {wd.add("r0.rdue_day", "2")} AS resc_day,
                   {wd.end_of_day(wd.add("r0.rdue_day", "2"))} AS resc_at
        ) r
        """,
        {"now": now},
    )
    cursor.execute("DROP TABLE b_e0, b_e1, b_e2, b_e3, b_e4, b_e5")
    cursor.execute("CREATE UNIQUE INDEX ON b_ent (eid)")
    cursor.execute("ANALYZE b_ent")


def _stage_instalments(cursor, now, wd: WorkdaySql) -> None:
    """Temp table b_inst: the schedule of every approved entitlement, each instalment's
    facts; then each entitlement's final status (completed when all are paid)."""
    L = wd.local
    cursor.execute("DROP TABLE IF EXISTS b_i1, b_i2, b_inst, b_done")
    cursor.execute(
        f"""
        CREATE TEMP TABLE b_i1 AS
        SELECT e.eid, e.policy_id, e.department_id, e.susp_at, e.dept_staff, e.approve_plan,
               pi.n, pi.amount,
               ({L("e.approve_plan")} + pi.months_after_start * interval '1 month')::date
                   AS scheduled_on,
               {", ".join(f"random() AS {d}" for d in INST_DRAWS)}
        FROM b_ent e JOIN subsidies_policyinstalment pi ON pi.policy_id = e.policy_id
        WHERE e.approved
        ORDER BY e.eid, pi.n
        """
    )
    cursor.execute(
        f"""
        CREATE TEMP TABLE b_i2 AS
        SELECT i.*, d.*,
               {wd.end_of_day("d.due_on")} AS due_at,
               {wd.end_of_day(wd.add("d.due_on", "2"))} AS escalate_at,
               {wd.add("d.due_on", "2")} <= DATE '{wd.last_known}' AS calendar_verified,
               (d.due_on::timestamp AT TIME ZONE 'Asia/Shanghai') AS due_start
        FROM b_i1 i
        CROSS JOIN LATERAL (SELECT {wd.add("i.scheduled_on - 1", "1")} AS due_on) d
        """
    )
    cursor.execute(
        """
        CREATE TEMP TABLE b_i3 AS
        SELECT i.*, p.pay_plan,
               NOT (i.r_owe < 0.02) AND p.pay_plan <= %(now)s
                   AND (i.susp_at IS NULL OR p.pay_plan < i.susp_at) AS resolved,
               i.r_fail < 0.015 AS failing
        FROM b_i2 i
        CROSS JOIN LATERAL (
            SELECT GREATEST(i.due_start + CASE WHEN i.r_late < 0.08 THEN 1 + i.r_pay * 12
                                                ELSE -2 + i.r_pay * 2.9 END
                                           * interval '1 day',
                            i.approve_plan + interval '1 hour') AS pay_plan
        ) p
        """,
        {"now": now},
    )
    cursor.execute(
        """
        CREATE TEMP TABLE b_inst AS
        SELECT i.*, s.status,
               s.status IN ('scheduled', 'due') AS owed,
               i.due_start + interval '2 minutes'
                   < CASE WHEN i.resolved THEN i.pay_plan
                          WHEN i.susp_at IS NOT NULL THEN i.susp_at ELSE %(now)s END
                   AS due_happened,
               row_number() OVER (ORDER BY i.eid, i.n)
                   + (SELECT COALESCE(max(id), 0) FROM subsidies_instalment) AS iid
        FROM b_i3 i
        CROSS JOIN LATERAL (
            SELECT CASE WHEN i.resolved AND NOT i.failing THEN 'paid'
                        WHEN i.susp_at IS NOT NULL THEN 'stopped'
                        WHEN i.resolved THEN 'failed'
                        WHEN i.due_start <= %(now)s THEN 'due'
                        ELSE 'scheduled' END AS status
        ) s
        """,
        {"now": now},
    )
    cursor.execute("DROP TABLE b_i1, b_i2, b_i3")
    cursor.execute("CREATE UNIQUE INDEX ON b_inst (iid)")
    cursor.execute(
        """
        CREATE TEMP TABLE b_done AS
        SELECT eid, max(pay_plan) AS completed_at FROM b_inst
        GROUP BY eid HAVING bool_and(status = 'paid')
        """
    )
    cursor.execute("CREATE UNIQUE INDEX ON b_done (eid)")
    cursor.execute("ANALYZE b_inst")


def _next_notice(due: str, escalate: str) -> str:
    """subsidies.clocks._next_notice: the first level (start of the due day, the deadline,
    督办) still ahead of now."""
    return (
        f"CASE WHEN {due} - interval '1 day' > %(now)s THEN {due} - interval '1 day' "
        f"WHEN {due} > %(now)s THEN {due} WHEN {escalate} > %(now)s THEN {escalate} END"
    )


def _write(cursor, now, wd: WorkdaySql) -> dict:
    from subsidies.models import Entitlement, EntitlementEvent, Instalment

    written = {}
    status = (
        "CASE WHEN e.status0 = 'approved' AND d.eid IS NOT NULL THEN 'completed' "
        "WHEN e.status0 = 'approved' AND e.susp_at IS NOT NULL THEN 'suspended' "
        "ELSE e.status0 END"
    )
    confirmed = "e.status0 = 'confirmed'"
    source = f"""
        FROM b_ent e LEFT JOIN b_done d ON d.eid = e.eid
        LEFT JOIN ({_accounts()}) AS a (k, encrypted, masked) ON a.k = e.acct
        CROSS JOIN LATERAL (SELECT {status} AS status) s
        ORDER BY e.eid
    """
    has_account = "e.conf_at IS NOT NULL"
    written["entitlements"] = _insert(
        cursor,
        Entitlement,
        {
            "id": "e.eid",
            "policy_id": "e.policy_id",
            "talent_id": "e.talent_id",
            "card_id": "e.card_id",
            "department_id": "e.department_id",
            "status": "s.status",
            "amount_total": "e.amount_total",
            "offered_at": "e.offered_at",
            "confirmed_at": "e.conf_at",
            "approved_at": "CASE WHEN e.approved THEN e.approve_plan END",
            "ended_at": "CASE s.status WHEN 'declined' THEN e.decline_at "
            "WHEN 'suspended' THEN e.susp_at WHEN 'completed' THEN d.completed_at END",
            "bank_name": f"CASE WHEN {has_account} THEN '{BANK}' ELSE '' END",
            "account_name": f"CASE WHEN {has_account} THEN e.real_name ELSE '' END",
            "account_number_encrypted": f"CASE WHEN {has_account} THEN a.encrypted ELSE '' END",
            "account_number_masked": f"CASE WHEN {has_account} THEN a.masked ELSE '' END",
            "returned_items": f"CASE WHEN s.status = 'returned' THEN '{RETURN_ITEMS}'::jsonb "
            "ELSE '[]'::jsonb END",
            "return_note": "CASE WHEN e.ret_happened THEN '请按以上事项修改后重新确认。' "
            "ELSE '' END",
            "decline_reason": "CASE WHEN s.status = 'declined' THEN '已享受原单位同类补贴' "
            "ELSE '' END",
            "suspend_reason": "CASE WHEN s.status = 'suspended' THEN '人才已调离巴州区' "
            "ELSE '' END",
            "review_days": f"CASE WHEN {has_account} THEN e.review_days END",
            "review_due_at": f"CASE WHEN {confirmed} THEN e.rdue_at END",
            "review_escalate_at": f"CASE WHEN {confirmed} THEN e.resc_at END",
            "next_notice_at": f"CASE WHEN {confirmed} THEN "
            f"{_next_notice('e.rdue_at', 'e.resc_at')} END",
            # The decision's verdict, frozen (a suspension after approval clears it, as
            # entitlement_suspend does).
            "reviewed_on_time": "CASE WHEN s.status IN ('approved', 'completed') "
            "THEN e.approve_plan < e.rdue_at "
            "WHEN s.status = 'returned' THEN e.dec1 < e.rdue_at END",
            "calendar_verified": f"CASE WHEN {has_account} "
            f"THEN e.resc_day <= DATE '{wd.last_known}' ELSE true END",
        },
        source,
        {"now": now},
    )
    table = Entitlement._meta.db_table
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
        f"(SELECT COALESCE(max(id), 1) FROM {table}))"
    )
    owed = "i.owed"
    written["instalments"] = _insert(
        cursor,
        Instalment,
        {
            "id": "i.iid",
            "entitlement_id": "i.eid",
            "department_id": "i.department_id",
            "policy_id": "i.policy_id",
            "n": "i.n",
            "amount": "i.amount",
            "scheduled_on": "i.scheduled_on",
            "due_on": "i.due_on",
            "status": "i.status",
            "paid_at": "CASE WHEN i.status = 'paid' THEN i.pay_plan END",
            "paid_on_time": "CASE WHEN i.status = 'paid' THEN i.pay_plan < i.due_at END",
            "voucher": "CASE WHEN i.status = 'paid' THEN 'ZF' || "
            "to_char(i.pay_plan AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || "
            "lpad(i.iid::text, 8, '0') ELSE '' END",
            "fail_reason": "CASE WHEN i.resolved AND i.failing THEN '户名与账号不符，银行退回' "
            "ELSE '' END",
            "failed_at": "CASE WHEN i.resolved AND i.failing THEN i.pay_plan END",
            "due_at": f"CASE WHEN {owed} THEN i.due_at END",
            "escalate_at": f"CASE WHEN {owed} THEN i.escalate_at END",
            "next_notice_at": f"CASE WHEN {owed} THEN "
            f"{_next_notice('i.due_at', 'i.escalate_at')} END",
            "calendar_verified": "i.calendar_verified",
        },
        "FROM b_inst i ORDER BY i.iid",
        {"now": now},
    )
    table = Instalment._meta.db_table
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
        f"(SELECT COALESCE(max(id), 1) FROM {table}))"
    )
    # The timeline (subsidies.actions.Step): the entitlement's steps, then its instalments'.
    people = _people()
    steps = f"""
        (true, e.offered_at, NULL::bigint, 'offered', '', 'offered', e.offer_note, '[]'),
        (s.status = 'declined', e.decline_at, e.talent_id, 'declined', 'offered', 'declined',
         '已享受原单位同类补贴', '[]'),
        (e.c1_happened, e.c1, e.talent_id, 'confirmed', 'offered', 'confirmed',
         '{BANK} ' || a.masked, '[]'),
        (e.ret_happened, e.dec1, e.dept_staff, 'returned', 'confirmed', 'returned',
         '请按以上事项修改后重新确认。', '{RETURN_ITEMS}'),
        (e.c2_happened, e.c2, e.talent_id, 'confirmed', 'returned', 'confirmed',
         '{BANK} ' || a.masked, '[]'),
        (e.approved, e.approve_plan, e.approver_id, 'approved', 'confirmed', 'approved', '',
         '[]'),
        (s.status = 'suspended', e.susp_at, {people["admin"] or "NULL"}::bigint, 'suspended',
         'approved', 'suspended', '人才已调离巴州区', '[]'),
        (s.status = 'completed', d.completed_at, NULL::bigint, 'completed', 'approved',
         'completed', '', '[]')
    """
    event_values = {
        "entitlement_id": "e.eid",
        "instalment_id": "NULL",
        "at": "v.at",
        "actor_id": "v.actor",
        "action": "v.action",
        "from_status": "v.from_status",
        "to_status": "v.to_status",
        "note": "v.note",
        "items": "v.items::jsonb",
    }
    written["events"] = _insert(
        cursor,
        EntitlementEvent,
        event_values,
        f"""FROM b_ent e LEFT JOIN b_done d ON d.eid = e.eid
            LEFT JOIN ({_accounts()}) AS a (k, encrypted, masked) ON a.k = e.acct
            CROSS JOIN LATERAL (SELECT {status} AS status) s
            CROSS JOIN LATERAL (VALUES {steps})
                AS v (happened, at, actor, action, from_status, to_status, note, items)
            WHERE v.happened""",
        {},
    )
    before = "CASE WHEN i.due_happened THEN 'due' ELSE 'scheduled' END"
    inst_steps = f"""
        (i.due_happened, i.due_start + interval '2 minutes', NULL::bigint, 'due', 'scheduled',
         'due', ''),
        (i.status = 'paid', i.pay_plan, i.dept_staff, 'paid', {before}, 'paid',
         '凭证号 ZF' || to_char(i.pay_plan AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
         || lpad(i.iid::text, 8, '0')),
        (i.resolved AND i.failing, i.pay_plan, i.dept_staff, 'failed', {before}, 'failed',
         '户名与账号不符，银行退回'),
        (i.status = 'stopped', i.susp_at, {people["admin"] or "NULL"}::bigint, 'suspended',
         CASE WHEN i.resolved AND i.failing THEN 'failed' ELSE {before} END, 'stopped',
         '人才已调离巴州区')
    """
    written["events"] += _insert(
        cursor,
        EntitlementEvent,
        {
            **event_values,
            "entitlement_id": "i.eid",
            "instalment_id": "i.iid",
            "items": "'[]'::jsonb",
        },
        f"""FROM b_inst i CROSS JOIN LATERAL (VALUES {inst_steps})
                AS v (happened, at, actor, action, from_status, to_status, note)
            WHERE v.happened""",
        {},
    )
    return written


def generate_subsidies(now=None, *, seed: float = 0.34) -> dict:
    """Seed the demo policies and write the card holders' entitlements, instalments and
    events (in the caller's transaction); return rows written per table."""
    now = now or timezone.now()
    # Through the last instalment of a 36-month schedule approved now, and its escalation.
    years = timezone.localdate(now).year + 6 - SPAN_FIRST.year
    wd = WorkdaySql(years=years)
    with connection.cursor() as cursor:
        _seed_policies(cursor)
        _stage_entitlements(cursor, now, seed, wd)
        _stage_instalments(cursor, now, wd)
        written = _write(cursor, now, wd)
        cursor.execute("DROP TABLE b_ent, b_inst, b_done, b_spol, b_sdept")
    # The figures' bookkeeping (committed and paid per entitlement, the daily payment cells),
    # as after any bulk load.
    from subsidies.rollups import rebuild

    # Statistics first: without them (tables filled in this transaction, never analyzed) the
    # planner ANDs the status index into each entitlement's subquery and rebuild's UPDATE
    # reads every paid instalment once per entitlement (hours at 1,000,000 requests).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE subsidies_entitlement, subsidies_instalment")
    rebuild()
    written["subsidies_paidday"] = PaidDay.objects.count()
    return written


# --- the check ----------------------------------------------------------------------------
ENTITLEMENT_DERIVED = ["review_due_at", "review_escalate_at", "calendar_verified"]
INSTALMENT_DERIVED = ["due_on", "due_at", "escalate_at", "calendar_verified"]


def subsidies_check(size: int, now=None) -> tuple[int, list[str]]:
    """Of ``size`` random entitlements under review and ``size`` random instalments, the ones
    whose derived columns differ from what subsidies.clocks derives from their facts (the
    schedule's dates from the approval day, the deadlines from the calendar); next_notice_at
    too when ``now`` is the generator's. Returns (rows checked, descriptions of mismatches)."""
    from subsidies import clocks
    from subsidies.models import Entitlement, Instalment, PolicyInstalment

    checked, wrong = 0, []
    review = Entitlement.objects.filter(status="confirmed").order_by("?")[:size]
    for ent in review:
        stored = {f: getattr(ent, f) for f in [*ENTITLEMENT_DERIVED, "next_notice_at"]}
        clocks.review_derive(ent, now or timezone.now())
        fields = ENTITLEMENT_DERIVED + (["next_notice_at"] if now else [])
        if any(stored[f] != getattr(ent, f) for f in fields):
            wrong.append(f"entitlement {ent.pk}: {stored} ≠ derived")
        checked += 1
    months = {
        (p, n): m
        for p, n, m in PolicyInstalment.objects.values_list("policy_id", "n", "months_after_start")
    }
    sample = Instalment.objects.select_related("entitlement").order_by("?")[:size]
    for inst in sample:
        stored = {f: getattr(inst, f) for f in [*INSTALMENT_DERIVED, "next_notice_at"]}
        approved = timezone.localdate(inst.entitlement.approved_at)
        expected_day = clocks.add_months(approved, months[(inst.policy_id, inst.n)])
        clocks.instalment_derive(inst, now or timezone.now())
        owed = inst.status in ("scheduled", "due")
        if not owed:
            clocks.instalment_clock_stop(inst)
        fields = INSTALMENT_DERIVED + (["next_notice_at"] if now else [])
        if inst.scheduled_on != expected_day or any(stored[f] != getattr(inst, f) for f in fields):
            wrong.append(f"instalment {inst.pk} ({inst.status}): {stored} ≠ derived")
        checked += 1
    return checked, wrong


def describe() -> dict:
    """The subsidies' figures for the report's data set."""
    from django.db.models import Count, Q

    from subsidies.models import Entitlement, EntitlementEvent, Instalment, Policy

    now = timezone.now()
    entitlements = dict(
        Entitlement.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    instalments = dict(Instalment.objects.values_list("status").annotate(n=Count("id")).order_by())
    checked, wrong = subsidies_check(250)
    return {
        "policies": Policy.objects.count(),
        "entitlements": sum(entitlements.values()),
        "entitlement_statuses": entitlements,
        "review_overdue": Entitlement.objects.filter(
            status="confirmed", review_due_at__lte=now
        ).count(),
        "instalments": sum(instalments.values()),
        "instalment_statuses": instalments,
        "payments_overdue": Instalment.objects.filter(
            Q(status__in=("scheduled", "due")), due_at__lte=now
        ).count(),
        "events": EntitlementEvent.objects.count(),
        "checked": checked,
        "mismatched": len(wrong),
        "mismatches": wrong[:5],
    }
