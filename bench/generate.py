# SQL here is assembled from constants of this module and the catalogue, never from input.
# ruff: noqa: S608
"""The benchmark's data set: a realistic year of green-channel requests.

The base data comes from the project's own seed functions (departments, card criteria, the
catalogue of service types, the State Council calendar, the demo accounts with their known
password). Then, quickly:

- ``BENCH_N / 10`` talents, each with an issued card, written with COPY (their ID numbers are
  encrypted and hashed per talent with the project's crypto helpers: that is Python's work);
- ``BENCH_N`` requests and everything they carry (department stints, pauses, ratings,
  follow-ups, timeline events) in SQL, ``INSERT … SELECT`` over ``generate_series``, with every
  derived column computed as ``services.clocks.recompute`` computes it (working days from the
  calendar, deadlines at 24:00 Asia/Shanghai, verdicts frozen at the transition).

How a request lives (draws from ``random()`` after ``setseed``, so a run is reproducible for a
given N and "now"): filed during the year, mostly in office hours; 4 % transferred by the
first department within a day and a half; accepted within hours (12 % late, past the accept
deadline); 15 % paused once for 补正; resolved after a share of its promised working days
(some late); 3 % rejected or withdrawn before acceptance, 2.5 % during handling; 55 % of the
resolved rated within ten days (scores ≤ 2 open a follow-up, most closed later), the others
archived after 15 days. 4.5 % are stuck where they are (never accepted, never resolved, or
waiting for the talent), the late backlog the supervision exists for. A step that would fall
after "now" has not happened yet: that request is open in the state it has reached.
"""

import datetime
import json
import random
import time
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.core.management import call_command, get_commands
from django.db import connection, transaction
from django.utils import timezone

from bench.env import log

# Service types by share of the requests (the catalogue's seven codes).
TYPE_SHARES = [
    ("SUBSIDY", 0.25),
    ("HOUSING", 0.20),
    ("GOV_AGENT", 0.15),
    ("SCHOOL", 0.12),
    ("MEDICAL", 0.12),
    ("HUKOU", 0.08),
    ("SPOUSE_JOB", 0.08),
]
TIER_SHARES = [("A", 0.01), ("B", 0.05), ("C", 0.24), ("D", 0.70)]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = (
    "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏建红飞鑫波斌宇浩凯健俊帆"
    "帅旭宁龙林欣佳雨婷雪琳晨辉成康思文博天子怡梓涵浩然"
)
# The personas measured (portal.demo's accounts, password portal.demo.DEMO_PASSWORD).
PERSONAS = {
    "talent": "demo_talent",
    "staff": "demo_staff",
    "lead": "demo_lead",
    "admin": "demo_admin",
    "verifier": "demo_verifier",
    # 政策直达快享: the paying departments of the demo policies (RSJ: 安家补助, CZJ: 租房补贴).
    "rsj_staff": "demo_rsj_staff",
    "czj_staff": "demo_czj_staff",
    "rsj_lead": "demo_rsj_lead",
}
# The calendar span the SQL's working-day arithmetic covers.
SPAN_FIRST = datetime.date(2023, 1, 1)


@dataclass
class Generated:
    n: int
    talents: int
    now: datetime.datetime
    start: datetime.datetime
    seconds: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "talents": self.talents,
            "now": self.now.isoformat(),
            "start": self.start.isoformat(),
            "seconds": self.seconds,
            "counts": self.counts,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Generated":
        return cls(
            n=data["n"],
            talents=data["talents"],
            now=datetime.datetime.fromisoformat(data["now"]),
            start=datetime.datetime.fromisoformat(data["start"]),
            seconds=data["seconds"],
            counts=data["counts"],
        )


# --- base data --------------------------------------------------------------------------------
def seed_base() -> None:
    """Departments, criteria, catalogue, calendar and accounts, through the seed functions
    ``manage.py seed_demo`` calls (the demo accounts are the benchmark's personas)."""
    from cards.seed import seed_criteria
    from portal.demo import seed_demo_accounts
    from portal.seed import seed_departments
    from services.calendar import calendar_sync, official_years
    from services.models import CalendarDay
    from services.seed import seed_service_types

    seed_departments()
    seed_criteria()
    seed_service_types()
    for year in (y for y in official_years() if y >= 2024):
        if not CalendarDay.objects.filter(date__year=year).exists():
            calendar_sync(year=year)
    seed_demo_accounts()


# --- talents and cards ------------------------------------------------------------------------
def _name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def create_talents(count: int, start: datetime.datetime, rng: random.Random) -> int:
    """``count`` talents by COPY (ID numbers encrypted and hashed one by one, one password
    hash shared by all: hashing a password costs ~0.3 s), then a card for every talent that
    has none, in SQL. Returns how many talents there are."""
    from portal.demo import DEMO_PASSWORD
    from portal.identity import IdType, gb11643_check_char
    from portal.models import Role, User

    password = make_password(DEMO_PASSWORD)
    fields = [f for f in User._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    born = datetime.date(1965, 1, 1)
    joined = start - datetime.timedelta(days=800)
    with (
        connection.cursor() as cursor,
        cursor.copy(f'COPY "{User._meta.db_table}" ({columns}) FROM STDIN') as copy,
    ):
        for i in range(count):
            birth = born + datetime.timedelta(days=i // 1000)
            first17 = f"511902{birth:%Y%m%d}{i % 1000:03d}"
            number = first17 + gb11643_check_char(first17)
            user = User(
                username=f"bench_t{i:07d}",
                real_name=_name(rng),
                role=Role.TALENT,
                phone=f"139{i:08d}",
                password=password,
                date_joined=joined + datetime.timedelta(seconds=i),
            )
            user.set_id_number(IdType.RESIDENT, number)
            copy.write_row(
                [f.get_db_prep_save(getattr(user, f.attname), connection) for f in fields]
            )
            if i and i % 50000 == 0:
                log(f"  talents: {i:,} of {count:,}")
    _create_cards(start)
    return User.objects.filter(role=Role.TALENT).count()


def _create_cards(start: datetime.datetime) -> None:
    """An active card (tier by TIER_SHARES, issued in the two years before the data's year,
    valid three years) for every talent without one; the demo talent's is C-tier like the
    demo's. Card numbers BZYC-YYYY-NNNNNN per year of issue, sequences moved past them."""
    bounds, total = [], 0.0
    for tier, share in TIER_SHARES:
        total += share
        bounds.append(f"WHEN x.r_tier < {total:.4f} THEN '{tier}'")
    sql = f"""
        WITH holders AS (
            SELECT u.id, u.username, random() AS r_tier, random() AS r_issued
            FROM portal_user u
            WHERE u.role = 'talent'
              AND NOT EXISTS (SELECT 1 FROM cards_card c WHERE c.holder_id = u.id)
        ), x AS (
            SELECT h.*, %(start)s::timestamptz - (1 + h.r_issued * 700) * interval '1 day' AS issued
            FROM holders h
        ), numbered AS (
            SELECT x.*,
                   extract(year FROM x.issued AT TIME ZONE 'Asia/Shanghai')::int AS year,
                   CASE WHEN x.username = 'demo_talent' THEN 'C'
                        {" ".join(bounds)} ELSE 'D' END AS tier
            FROM x
        ), ranked AS (
            SELECT n.*, row_number() OVER (PARTITION BY n.year ORDER BY n.issued, n.id)
                        + COALESCE((SELECT s.last FROM cards_cardnumbersequence s
                                    WHERE s.year = n.year), 0) AS seq
            FROM numbered n
        )
        INSERT INTO cards_card
            (number, holder_id, tier, status, issued_at, valid_until, status_reason, photo_id,
             public_ref)
        SELECT 'BZYC-' || r.year || '-' || lpad(r.seq::text, 6, '0'), r.id, r.tier, 'active',
               r.issued,
               ((r.issued AT TIME ZONE 'Asia/Shanghai')::date + interval '3 years'
                - interval '1 day')::date,
               '', NULL,
               -- the e-certificate's public reference: 128 random bits, like new_public_ref()
               replace(gen_random_uuid()::text, '-', '')
        FROM ranked r
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.5)")
        cursor.execute(sql, {"start": start})
        cursor.execute(
            """
            INSERT INTO cards_cardnumbersequence (year, last)
            SELECT substr(number, 6, 4)::int, max(substr(number, 11)::int)
            FROM cards_card GROUP BY 1
            ON CONFLICT (year) DO UPDATE SET last = GREATEST(
                cards_cardnumbersequence.last, EXCLUDED.last)
            """
        )


# --- the working-day calendar, as SQL expressions ---------------------------------------------
class WorkdaySql:
    """``services.workdays`` as SQL: two constant arrays over SPAN_FIRST … +6 years, the
    cumulative count of working days up to each date, and the date offset of the k-th working
    day. A date without a CalendarDay row counts Monday–Friday, as services.workdays does.
    ``years`` from SPAN_FIRST: the subsidies' three-year schedules reach further than requests."""

    def __init__(self, years: int = 6):
        from services.models import CalendarDay

        known = dict(CalendarDay.objects.values_list("date", "is_workday"))
        self.last_known = max(known) if known else SPAN_FIRST
        cum, offsets, count = [], [], 0
        for offset in range(366 * years):
            day = SPAN_FIRST + datetime.timedelta(days=offset)
            if known.get(day, day.weekday() < 5):
                count += 1
                offsets.append(offset)
            cum.append(count)
        self._cum = "'{" + ",".join(map(str, cum)) + "}'::int[]"
        self._offsets = "'{" + ",".join(map(str, offsets)) + "}'::int[]"

    def cum(self, day: str) -> str:
        """Working days from SPAN_FIRST through ``day`` (a date expression)."""
        return f"({self._cum})[({day}) - DATE '{SPAN_FIRST}' + 1]"

    def add(self, day: str, n: str) -> str:
        """The n-th working day after ``day`` (services.workdays.add_working_days, n ≥ 1)."""
        return f"(DATE '{SPAN_FIRST}' + ({self._offsets})[{self.cum(day)} + ({n})])"

    @staticmethod
    def local(moment: str) -> str:
        return f"(({moment}) AT TIME ZONE 'Asia/Shanghai')::date"

    @staticmethod
    def end_of_day(day: str) -> str:
        """24:00 Asia/Shanghai of ``day`` (services.workdays.end_of_day)."""
        return f"((({day}) + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')"


# --- requests ---------------------------------------------------------------------------------
TEXT_TYPES = ("CharField", "TextField", "SlugField", "EmailField", "URLField")


def _insert(cursor, model, values: dict, source: str, params: dict) -> int:
    """``INSERT INTO model (…) SELECT <values> <source>``; a column not in ``values`` (one
    another change added) gets its field's default, "" for a text field without one, or NULL."""
    columns, expressions = [], []
    for f in model._meta.concrete_fields:
        if f.column in values:
            expressions.append(values[f.column])
        elif f.primary_key:
            continue
        elif f.has_default():
            name = f"default_{model._meta.model_name}_{f.column}"
            params[name] = f.get_db_prep_save(f.get_default(), connection)
            expressions.append(f"%({name})s")
        elif not f.null and f.empty_strings_allowed and f.get_internal_type() in TEXT_TYPES:
            expressions.append("''")  # a text field without a default: Django saves ""
        else:
            expressions.append("NULL")
        columns.append(f'"{f.column}"')
    sql = (
        f'INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) '
        f"SELECT {', '.join(expressions)} {source}"
    )
    cursor.execute(sql, params)
    return cursor.rowcount


def _type_case() -> str:
    cases, total = [], 0.0
    for code, share in TYPE_SHARES:
        total += share
        cases.append(f"WHEN r.r_type < {total:.4f} THEN '{code}'")
    return "CASE " + " ".join(cases[:-1]) + f" ELSE '{TYPE_SHARES[-1][0]}' END"


def _fields_values() -> str:
    """The demo's form contents per service type (services.demo), as a VALUES list."""
    from services.demo import DEMO_REQUESTS

    rows = []
    for code, _state, fields, description in DEMO_REQUESTS:
        body = json.dumps(fields, ensure_ascii=False).replace("'", "''")
        text = description.replace("'", "''").replace("%", "%%")
        body = body.replace("%", "%%")
        rows.append(f"('{code}', '{body}'::jsonb, '{text}')")
    return "VALUES " + ", ".join(rows)


def _stage_requests(cursor, n: int, now, start, seed: float, wd: WorkdaySql) -> None:
    """Temp table b_req: one row per request with every column and the facts of its past."""
    from portal.models import Department, Role, User

    departments = list(
        Department.objects.order_by("sort_order", "code").values_list("pk", flat=True)
    )
    people = {}
    for user in User.objects.filter(role__in=(Role.STAFF, Role.LEAD), username__startswith="demo_"):
        people.setdefault(user.department_id, {})[user.role] = user.pk
    cursor.execute("DROP TABLE IF EXISTS b_dept, b_talent, b_r1, b_r2, b_req")
    cursor.execute(
        "CREATE TEMP TABLE b_dept (dept_id bigint PRIMARY KEY, staff_id bigint, lead_id bigint)"
    )
    for dept in departments:
        staff = people.get(dept, {})
        cursor.execute(
            "INSERT INTO b_dept VALUES (%s, %s, %s)",
            [dept, staff.get(Role.STAFF), staff.get(Role.LEAD) or staff.get(Role.STAFF)],
        )
    # Talent pools: every card holder, and the A–C tiers (two services are for A–C only).
    cursor.execute(
        """
        CREATE TEMP TABLE b_talent AS
        SELECT 'all'::text AS pool, row_number() OVER (ORDER BY c.id) AS idx,
               c.holder_id AS user_id, c.id AS card_id, c.tier
        FROM cards_card c WHERE c.status = 'active'
        UNION ALL
        SELECT 'abc', row_number() OVER (ORDER BY c.id), c.holder_id, c.id, c.tier
        FROM cards_card c WHERE c.status = 'active' AND c.tier IN ('A', 'B', 'C')
        """
    )
    cursor.execute("CREATE INDEX ON b_talent (pool, idx)")
    cursor.execute("SELECT pool, count(*) FROM b_talent GROUP BY pool")
    pools = dict(cursor.fetchall())
    cursor.execute("SELECT setseed(%s)", [seed])
    draws = [
        "r_type", "r_talent", "r_day", "r_hour", "r_stuck", "r_stage", "r_transfer", "r_tdept",
        "r_tdelay", "r_adelay", "r_late", "r_pause", "r_pfrac", "r_plen", "r_outcome", "r_rdays",
        "r_rate", "r_score", "r_rdelay", "r_fu", "r_fudelay", "r_assignee",
    ]  # fmt: skip
    cursor.execute(
        "CREATE TEMP TABLE b_r1 AS SELECT g AS i, "
        + ", ".join(f"random() AS {d}" for d in draws)
        + " FROM generate_series(1, %(n)s) g",
        {"n": n},
    )
    days = max(1, (timezone.localdate(now) - timezone.localdate(start)).days + 1)
    dept_array = "ARRAY[" + ",".join(map(str, departments)) + "]::bigint[]"
    L = wd.local
    # Times of every step the request would take (whether it has happened by now or not).
    cursor.execute(
        f"""
        CREATE TEMP TABLE b_r2 AS
        SELECT r.*, st.id AS service_type_id, st.code AS type_code,
               st.department_id AS first_dept, st.accept_days, st.promised_days,
               st.sensitivity <> '' AS sensitive, t.user_id AS talent_id, t.card_id, t.tier,
               s.submitted_at,
               r.r_stuck < 0.045 AS stuck,
               CASE WHEN r.r_stage < 0.35 THEN 'submitted' WHEN r.r_stage < 0.8 THEN 'accepted'
                    ELSE 'awaiting' END AS stage,
               CASE WHEN r.r_outcome < 0.015 THEN 'early_reject'
                    WHEN r.r_outcome < 0.03 THEN 'early_withdraw'
                    WHEN r.r_outcome < 0.045 THEN 'late_reject'
                    WHEN r.r_outcome < 0.055 THEN 'late_withdraw'
                    ELSE 'resolve' END AS outcome,
               r.r_transfer < 0.04 AND s.submitted_at + tr.delay < %(now)s AS transferred,
               s.submitted_at + tr.delay AS transfer_at,
               ({dept_array})[mod(array_position({dept_array}, st.department_id)
                                  + floor(r.r_tdept * {len(departments) - 1})::int,
                                  {len(departments)}) + 1] AS target_dept
        FROM b_r1 r
        CROSS JOIN LATERAL (SELECT {_type_case()} AS code) c
        JOIN services_servicetype st ON st.code = c.code
        JOIN b_talent t
          ON t.pool = CASE WHEN st.eligible_tiers LIKE '%%D%%' THEN 'all' ELSE 'abc' END
         AND t.idx = 1 + floor(r.r_talent * CASE WHEN st.eligible_tiers LIKE '%%D%%'
                                                 THEN {pools.get("all", 1)}
                                                 ELSE {pools.get("abc", 1)} END)::int
        CROSS JOIN LATERAL (
            SELECT %(start)s::timestamptz + floor(r.r_day * {days}) * interval '1 day'
                   + CASE WHEN r.r_hour < 0.85 THEN 8 + r.r_hour / 0.85 * 10
                          ELSE (r.r_hour - 0.85) / 0.15 * 24 END * interval '1 hour' AS raw
        ) raw
        CROSS JOIN LATERAL (
            SELECT CASE WHEN raw.raw > %(now)s - interval '5 minutes'
                        THEN raw.raw - interval '1 day' ELSE raw.raw END AS submitted_at
        ) s
        CROSS JOIN LATERAL (SELECT (0.5 + r.r_tdelay * 30) * interval '1 hour' AS delay) tr
        """,
        {"now": now, "start": start},
    )
    # What has happened by now, and every column of the request.
    cursor.execute(
        """
        CREATE TEMP TABLE b_r3 AS
        SELECT q.*,
               CASE WHEN q.transferred THEN q.transfer_at ELSE q.submitted_at END AS accept_start,
               CASE WHEN q.transferred THEN q.target_dept ELSE q.first_dept END AS department_id
        FROM b_r2 q
        """,
        {},
    )
    cursor.execute(
        """
        CREATE TEMP TABLE b_r4 AS
        SELECT q.*, p.*,
               q.outcome LIKE 'early%%' AS early,
               q.accept_start + p.adelay AS accepted_plan,
               q.accept_start + p.adelay + p.handling
                   + CASE WHEN p.pause_plan THEN p.pause_len ELSE interval '0' END AS late_end
        FROM b_r3 q
        CROSS JOIN LATERAL (
            SELECT CASE WHEN q.r_late < 0.12 THEN 20 + q.r_adelay * 80
                        ELSE 0.2 + q.r_adelay * 22 END * interval '1 hour' AS adelay,
                   q.promised_days * 1.4 * (0.08 + q.r_rdays * 1.2) * interval '1 day' AS handling,
                   (0.5 + q.r_plen * 6) * interval '1 day' AS pause_len,
                   q.r_pause < 0.15 OR (q.stuck AND q.stage = 'awaiting') AS pause_plan
        ) p
        """,
        {},
    )
    cursor.execute(
        """
        CREATE TEMP TABLE b_r5 AS
        SELECT q.*,
               q.accepted_plan + q.r_pfrac * q.handling AS pause_start,
               q.accepted_plan + q.r_pfrac * q.handling + q.pause_len AS pause_end,
               CASE WHEN q.early THEN q.accepted_plan ELSE q.late_end END AS end_at,
               NOT q.early AND q.accepted_plan <= %(now)s
                   AND NOT (q.stuck AND q.stage = 'submitted') AS accepted_happened
        FROM b_r4 q
        """,
        {"now": now},
    )
    cursor.execute(
        """
        CREATE TEMP TABLE b_r6 AS
        SELECT q.*, h.pause_happened,
               h.pause_happened AND ((q.stuck AND q.stage = 'awaiting') OR q.pause_end > %(now)s)
                   AS pause_open
        FROM b_r5 q
        CROSS JOIN LATERAL (
            SELECT q.accepted_happened AND q.pause_plan AND q.pause_start <= %(now)s
                   AS pause_happened
        ) h
        """,
        {"now": now},
    )
    cursor.execute(
        """
        CREATE TEMP TABLE b_r7 AS
        SELECT q.*, e.end_happened,
               e.end_happened AND q.outcome = 'resolve' AND q.r_rate < 0.55
                   AND q.end_at + (0.05 + q.r_rdelay * 10) * interval '1 day' <= %(now)s AS rated,
               q.end_at + (0.05 + q.r_rdelay * 10) * interval '1 day' AS rated_at
        FROM b_r6 q
        CROSS JOIN LATERAL (
            SELECT NOT q.stuck AND q.end_at <= %(now)s
                   AND (q.early OR (q.accepted_happened AND NOT q.pause_open)) AS end_happened
        ) e
        """,
        {"now": now},
    )
    k = (
        f"CASE WHEN q.pause_happened AND NOT q.pause_open "
        f"THEN {wd.cum(L('q.pause_end'))} - {wd.cum(L('q.pause_start'))} ELSE 0 END"
    )
    cursor.execute(
        f"""
        CREATE TEMP TABLE b_r8 AS
        SELECT q.*, d.*,
               CASE WHEN q.end_happened THEN
                   CASE q.outcome WHEN 'early_reject' THEN 'rejected'
                                  WHEN 'late_reject' THEN 'rejected'
                                  WHEN 'early_withdraw' THEN 'withdrawn'
                                  WHEN 'late_withdraw' THEN 'withdrawn'
                                  ELSE CASE WHEN q.rated
                                                 OR q.end_at + interval '15 days' <= %(now)s
                                            THEN 'closed' ELSE 'resolved' END END
                    WHEN q.pause_open THEN 'awaiting_talent'
                    WHEN q.accepted_happened THEN 'accepted'
                    ELSE 'submitted' END AS status
        FROM b_r7 q
        CROSS JOIN LATERAL (
            SELECT {k} AS shift,
                   {wd.add(L("q.accept_start"), "q.accept_days")} AS accept_due_day,
                   {wd.add(L("q.submitted_at"), "q.accept_days")} AS first_accept_due_day,
                   {wd.add(L("q.submitted_at"), f"q.accept_days + q.promised_days + {k}")}
                       AS promised_day,
                   CASE WHEN q.accepted_happened
                        THEN {wd.add(L("q.accepted_plan"), f"q.promised_days + {k}")} END
                       AS resolve_due_day
        ) d
        """,
        {"now": now},
    )
    eod = wd.end_of_day
    cursor.execute(
        f"""
        CREATE TEMP TABLE b_r9 AS
        SELECT q.*,
               {eod("q.accept_due_day")} AS accept_due_at,
               {eod(wd.add("q.accept_due_day", "2"))} AS accept_escalate_at,
               {eod("q.first_accept_due_day")} AS first_accept_due_at,
               {eod("q.promised_day")} AS promised_due_at,
               {eod("q.resolve_due_day")} AS resolve_due_at,
               {eod(wd.add("q.resolve_due_day", "2"))} AS resolve_escalate_at,
               GREATEST({wd.add("q.accept_due_day", "2")}, {wd.add("q.promised_day", "2")},
                        COALESCE({wd.add("q.resolve_due_day", "2")}, q.promised_day))
                   <= DATE '{wd.last_known}' AS calendar_verified
        FROM b_r8 q
        """
    )
    cursor.execute(
        f"""
        CREATE TEMP TABLE b_req AS
        SELECT q.*, c.due_at, c.escalate_at,
               CASE WHEN c.due_at IS NULL THEN NULL
                    WHEN c.due_at - interval '1 day' > %(now)s THEN c.due_at - interval '1 day'
                    WHEN c.due_at > %(now)s THEN c.due_at
                    WHEN c.escalate_at > %(now)s THEN c.escalate_at END AS next_notice_at,
               row_number() OVER (ORDER BY q.submitted_at, q.i)
                   + (SELECT COALESCE(max(id), 0) FROM services_servicerequest) AS rid,
               row_number() OVER (PARTITION BY {L("q.submitted_at")} ORDER BY q.submitted_at, q.i)
                   + COALESCE((SELECT s.last FROM services_requestnumbersequence s
                               WHERE s.day = {L("q.submitted_at")}), 0) AS seq,
               CASE WHEN q.accepted_happened
                    THEN CASE WHEN q.r_assignee < 0.7 THEN bd.staff_id ELSE bd.lead_id END
               END AS assignee_id,
               bd.staff_id AS dept_staff, bd.lead_id AS dept_lead, fd.staff_id AS first_staff,
               f.fields, f.description
        FROM b_r9 q
        CROSS JOIN LATERAL (
            SELECT CASE q.status
                       WHEN 'submitted' THEN q.accept_due_at
                       WHEN 'accepted' THEN q.resolve_due_at
                       WHEN 'awaiting_talent' THEN
                           CASE WHEN q.pause_start >= q.resolve_due_at THEN q.resolve_due_at END
                   END AS due_at,
                   CASE q.status
                       WHEN 'submitted' THEN q.accept_escalate_at
                       WHEN 'accepted' THEN q.resolve_escalate_at
                       WHEN 'awaiting_talent' THEN
                           CASE WHEN q.pause_start >= q.resolve_due_at
                                THEN q.resolve_escalate_at END
                   END AS escalate_at
        ) c
        JOIN b_dept bd ON bd.dept_id = q.department_id
        JOIN b_dept fd ON fd.dept_id = q.first_dept
        JOIN ({_fields_values()}) AS f (code, fields, description) ON f.code = q.type_code
        """,
        {"now": now},
    )
    cursor.execute("DROP TABLE b_r1, b_r2, b_r3, b_r4, b_r5, b_r6, b_r7, b_r8, b_r9")
    cursor.execute("CREATE UNIQUE INDEX ON b_req (rid)")
    cursor.execute("ANALYZE b_req")


def _write_requests(cursor, wd: WorkdaySql, now) -> dict:
    """From b_req into the project's tables; returns rows written per table."""
    from services.models import (
        DepartmentStint,
        FollowUp,
        Rating,
        RequestEvent,
        RequestPause,
        ServiceRequest,
    )

    written = {}
    L = WorkdaySql.local
    done = "q.end_happened"
    written["requests"] = _insert(
        cursor,
        ServiceRequest,
        {
            "id": "q.rid",
            "number": f"'FW-' || to_char({L('q.submitted_at')}, 'YYYYMMDD') || '-' || "
            "CASE WHEN q.seq < 10000 THEN lpad(q.seq::text, 4, '0') ELSE q.seq::text END",
            "talent_id": "q.talent_id",
            "card_id": "q.card_id",
            "tier": "q.tier",
            "service_type_id": "q.service_type_id",
            "department_id": "q.department_id",
            "assignee_id": "q.assignee_id",
            "fields": "q.fields",
            "description": "q.description",
            "consent_at": "CASE WHEN q.sensitive THEN q.submitted_at END",
            "accept_days": "q.accept_days",
            "promised_days": "q.promised_days",
            "status": "q.status",
            "submitted_at": "q.submitted_at",
            "accept_started_at": "q.accept_start",
            "accepted_at": "CASE WHEN q.accepted_happened THEN q.accepted_plan END",
            "resolved_at": f"CASE WHEN {done} AND q.outcome = 'resolve' THEN q.end_at END",
            "closed_at": "CASE WHEN q.status = 'closed' THEN CASE WHEN q.rated THEN q.rated_at "
            "ELSE q.end_at + interval '15 days' END END",
            "rejected_at": f"CASE WHEN {done} AND q.outcome LIKE '%%reject' THEN q.end_at END",
            "withdrawn_at": f"CASE WHEN {done} AND q.outcome LIKE '%%withdraw' THEN q.end_at END",
            "accept_due_at": "q.accept_due_at",
            "resolve_due_at": "q.resolve_due_at",
            "promised_due_at": "q.promised_due_at",
            "due_at": "q.due_at",
            "escalate_at": "q.escalate_at",
            "next_notice_at": "q.next_notice_at",
            "accepted_on_time": "CASE WHEN q.accepted_happened "
            "THEN q.accepted_plan < q.accept_due_at "
            f"WHEN {done} AND q.outcome = 'early_reject' THEN q.end_at < q.accept_due_at END",
            "resolved_on_time": f"CASE WHEN {done} AND q.outcome IN ('resolve', 'late_reject') "
            "THEN q.end_at < q.resolve_due_at END",
            "handling_working_days": f"CASE WHEN {done} AND q.outcome = 'resolve' THEN "
            f"GREATEST(0, {wd.cum(L('q.end_at'))} - {wd.cum(L('q.accepted_plan'))} "
            "- q.shift) END",
            "calendar_verified": "q.calendar_verified",
        },
        "FROM b_req q ORDER BY q.rid",
        {},
    )
    log(f"  requests: {written['requests']:,} rows")
    table = ServiceRequest._meta.db_table
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
        f"(SELECT COALESCE(max(id), 1) FROM {table}))"
    )
    cursor.execute(
        f"""
        INSERT INTO services_requestnumbersequence (day, last)
        SELECT {L("q.submitted_at")}, max(q.seq) FROM b_req q GROUP BY 1
        ON CONFLICT (day) DO UPDATE SET last = GREATEST(
            services_requestnumbersequence.last, EXCLUDED.last)
        """
    )
    stint_columns = {f.column for f in DepartmentStint._meta.concrete_fields}
    left = f"CASE WHEN {done} THEN q.end_at END"  # resolve, reject and withdraw close the stint
    first = {
        "request_id": "q.rid",
        "department_id": "q.first_dept",
        "entered_at": "q.submitted_at",
        "left_at": "q.transfer_at",
        "accepted_on_time": "q.transfer_at < q.first_accept_due_at",
    }
    if "transferred_out" in stint_columns:
        first["transferred_out"] = "true"
    written["stints"] = _insert(
        cursor, DepartmentStint, first, "FROM b_req q WHERE q.transferred", {}
    )
    current = {
        "request_id": "q.rid",
        "department_id": "q.department_id",
        "entered_at": "q.accept_start",
        "left_at": left,
        "accepted_on_time": "CASE WHEN q.accepted_happened "
        "THEN q.accepted_plan < q.accept_due_at "
        f"WHEN {done} AND q.outcome = 'early_reject' THEN q.end_at < q.accept_due_at END",
    }
    if "transferred_out" in stint_columns:
        current["transferred_out"] = "false"
    written["stints"] += _insert(cursor, DepartmentStint, current, "FROM b_req q", {})
    log(f"  department stints: {written['stints']:,} rows")
    written["pauses"] = _insert(
        cursor,
        RequestPause,
        {
            "request_id": "q.rid",
            "started_at": "q.pause_start",
            "ended_at": "CASE WHEN q.pause_open THEN NULL ELSE q.pause_end END",
            "reason": "'请补充近三个月的相关证明材料'",
        },
        "FROM b_req q WHERE q.pause_happened",
        {},
    )
    score = (
        "CASE WHEN q.r_score < 0.03 THEN 1 WHEN q.r_score < 0.07 THEN 2 "
        "WHEN q.r_score < 0.15 THEN 3 WHEN q.r_score < 0.40 THEN 4 ELSE 5 END"
    )
    written["ratings"] = _insert(
        cursor,
        Rating,
        {
            "request_id": "q.rid",
            "score": score,
            "comment": "''",
            "created_at": "q.rated_at",
        },
        "FROM b_req q WHERE q.rated",
        {},
    )
    followup_due = wd.end_of_day(wd.add(L("q.rated_at"), "5"))
    closed_at = "q.rated_at + (0.5 + q.r_fudelay * 8) * interval '1 day'"
    closes = f"q.r_fu < 0.85 AND {closed_at} <= %(now)s"
    written["followups"] = _insert(
        cursor,
        FollowUp,
        {
            "request_id": "q.rid",
            "department_id": "q.department_id",
            "created_at": "q.rated_at",
            "due_at": followup_due,
            "closed_at": f"CASE WHEN {closes} THEN {closed_at} END",
            "closed_by_id": f"CASE WHEN {closes} THEN q.dept_lead END",
            "note": f"CASE WHEN {closes} THEN '已电话回访，整改措施已落实。' ELSE '' END",
            "escalated_at": f"CASE WHEN {followup_due} + interval '30 minutes' <= "
            f"CASE WHEN {closes} THEN {closed_at} ELSE %(now)s END "
            f"THEN {followup_due} + interval '30 minutes' END",
        },
        f"FROM b_req q WHERE q.rated AND {score} <= 2",
        {"now": now},
    )
    log(
        f"  pauses {written['pauses']:,}, ratings {written['ratings']:,}, "
        f"follow-ups {written['followups']:,}"
    )
    # The timeline: one event per step that has happened (services.actions.RequestEventAction).
    steps = f"""
        (true, q.submitted_at, q.talent_id, 'filed', '', 'submitted', ''),
        (q.transferred, q.transfer_at, q.first_staff, 'transferred', 'submitted', 'submitted',
         '转办：不属于本部门职责'),
        (q.accepted_happened, q.accepted_plan, q.assignee_id, 'accepted', 'submitted',
         'accepted', ''),
        (q.pause_happened, q.pause_start, q.assignee_id, 'info_requested', 'accepted',
         'awaiting_talent', '请一次补齐'),
        (q.pause_happened AND NOT q.pause_open, q.pause_end, q.talent_id, 'info_supplied',
         'awaiting_talent', 'accepted', '已补充'),
        ({done} AND q.outcome = 'early_reject', q.end_at, q.dept_staff, 'rejected',
         'submitted', 'rejected', '不符合申请条件'),
        ({done} AND q.outcome = 'early_withdraw', q.end_at, q.talent_id, 'withdrawn',
         'submitted', 'withdrawn', ''),
        ({done} AND q.outcome = 'late_reject', q.end_at, q.assignee_id, 'rejected',
         'accepted', 'rejected', '经核查不符合条件'),
        ({done} AND q.outcome = 'late_withdraw', q.end_at, q.talent_id, 'withdrawn',
         'accepted', 'withdrawn', ''),
        ({done} AND q.outcome = 'resolve', q.end_at, q.assignee_id, 'resolved', 'accepted',
         'resolved', '已办结，结果已电话告知。'),
        (q.rated, q.rated_at, q.talent_id, 'rated', 'resolved', 'closed', '评价'),
        (q.status = 'closed' AND NOT q.rated, q.end_at + interval '15 days', NULL::bigint,
         'auto_closed', 'resolved', 'closed', '办结15天未评价，自动归档。')
    """
    written["events"] = _insert(
        cursor,
        RequestEvent,
        {
            "request_id": "q.rid",
            "at": "v.at",
            "actor_id": "v.actor",
            "action": "v.action",
            "from_status": "v.from_status",
            "to_status": "v.to_status",
            "note": "v.note",
            "items": "'[]'::jsonb",
        },
        f"""FROM b_req q CROSS JOIN LATERAL (VALUES {steps})
                AS v (happened, at, actor, action, from_status, to_status, note)
            WHERE v.happened""",
        {},
    )
    written["events"] += _insert(
        cursor,
        RequestEvent,
        {
            "request_id": "f.request_id",
            "at": "f.closed_at",
            "actor_id": "f.closed_by_id",
            "action": "'followup_closed'",
            "from_status": "'closed'",
            "to_status": "'closed'",
            "note": "'部门负责人已完成回访整改。'",
            "items": "'[]'::jsonb",
        },
        "FROM services_followup f WHERE f.closed_at IS NOT NULL",
        {},
    )
    log(f"  timeline events: {written['events']:,} rows")
    return written


def year_start(now: datetime.datetime) -> datetime.datetime:
    """The first instant of the data's year: January 1 of this year, or of the last one
    before July (a benchmark run in February still gets a year of requests)."""
    today = timezone.localdate(now)
    year = today.year if today.month >= 7 else today.year - 1
    return datetime.datetime.combine(
        datetime.date(year, 1, 1), datetime.time.min, tzinfo=timezone.get_current_timezone()
    )


def generate(n: int, *, now=None, seed: float = 0.12, talents: int | None = None) -> Generated:
    """Seed the base data and write ``n`` requests into the database Django is connected to
    (migrated, with no requests yet)."""
    now = now or timezone.now()
    start = year_start(now)
    talents = talents if talents is not None else max(n // 10, 50)
    result = Generated(n=n, talents=talents, now=now, start=start)
    rng = random.Random(seed)  # noqa: S311 - made-up, reproducible data

    step = time.monotonic()
    log("seeding departments, criteria, service types, calendar, accounts")
    seed_base()
    result.seconds["base data"] = time.monotonic() - step

    step = time.monotonic()
    log(f"writing {talents:,} talents with cards (COPY)")
    with transaction.atomic():
        result.counts["talents"] = create_talents(talents, start, rng)
    result.seconds["talents and cards"] = time.monotonic() - step

    step = time.monotonic()
    log(f"computing {n:,} requests in SQL")
    wd = WorkdaySql()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO off")
        cursor.execute("SET LOCAL work_mem TO '256MB'")
        cursor.execute("SET LOCAL maintenance_work_mem TO '512MB'")
        _stage_requests(cursor, n, now, start, seed, wd)
        log("writing requests, stints, pauses, ratings, follow-ups, events")
        result.counts.update(_write_requests(cursor, wd, now))
        cursor.execute("DROP TABLE b_req, b_dept, b_talent")
    result.seconds["requests (SQL)"] = time.monotonic() - step

    step = time.monotonic()
    log("policies, entitlements, instalments and their events in SQL")
    from bench.generate_subsidies import generate_subsidies

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO off")
        cursor.execute("SET LOCAL work_mem TO '256MB'")
        written = generate_subsidies(now)
    log(", ".join(f"  {name}: {count:,}" for name, count in written.items()))
    result.counts.update({f"subsidies {name}": count for name, count in written.items()})
    result.seconds["subsidies (SQL)"] = time.monotonic() - step

    if "rebuild_rollups" in get_commands():
        step = time.monotonic()
        log("manage.py rebuild_rollups")
        call_command("rebuild_rollups")
        result.seconds["rebuild_rollups"] = time.monotonic() - step
    else:
        log("manage.py rebuild_rollups does not exist: skipped")

    step = time.monotonic()
    log("VACUUM ANALYZE")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    result.seconds["VACUUM ANALYZE"] = time.monotonic() - step
    log(f"generated in {result.total_seconds:.0f} s")
    return result
