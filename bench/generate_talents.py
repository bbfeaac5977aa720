# SQL here is assembled from constants of this module, never from input.
# ruff: noqa: S608
"""The benchmark's talents layer (人才信息库 and 一对一联系服务), written in SQL like the requests.

- A ``TalentProfile`` for every card holder (the ~100,000 bench talents): industry chain
  spread over the five, 最高学历 (more doctors in the A and B tiers), 职称, one of ~300
  employers (a few large ones, a long tail), 职务, arrival years 2010–2026 (recent years more
  often), one to three specialties of the chain; tier and standing from the holder's latest
  card. Research outputs (1–4) for ~30 % of them. Then ``talents.rollups.rebuild()``.
- A liaison for every A–C holder of an active card: a leader from a short list, a service
  officer among the demo staff and lead accounts and demo_admin (the demo talent's is
  demo_staff, as in the demo), every 30, 60 or 90 days; 1–5 visits (~3) back from the
  last one, which is recent for ~90 % and more than one interval ago for ~10 % (overdue);
  about one concern per two visits, most resolved, the recent ones still followed up, a
  few with a medical or schooling type waiting for the talent's consent (or declined).
- About a quarter of the liaisons also filed one of the talent's existing bench requests
  (代办): a visit on the day the request was filed, its concern linked to it, the request's
  ``filed_by``/``filed_via`` and its 'filed' event made what ``request_file`` writes for an
  officer.
- Every derived column of a liaison as ``talents.clocks.liaison_derive`` derives it
  (WorkdaySql: the calendar's working days), ``next_notice_at`` where the sweep would have
  left it (``talents.clocks.next_notice``), a LiaisonNotice for each level already reached,
  and the timeline (assigned, visited, a concern resolved or declined).

``talents_check`` compares a sample with ``talents.clocks`` (the test and the report).
``generate_talents`` can run again on a database that has them: it empties the talents'
tables (and undoes the 代办 marks on requests) first, so ``python -m bench talents`` adds
this part to a bench database generated before it existed.
"""

import datetime
import json
import random

from django.db import connection
from django.utils import timezone

from bench.generate import SPAN_FIRST, WorkdaySql, _fields_values, _insert

CHAINS = [
    ("culture_tourism_health", 0.30),
    ("food_beverage", 0.18),
    ("biomedicine", 0.17),
    ("new_energy_materials", 0.20),
    ("other", 0.15),
]
# Six specialties per chain, in CHAINS' order.
SPECIALTIES = [
    ["康养旅游规划", "森林康养基地运营", "文旅项目策划", "红色文化研学", "景区数字化运营",
     "民宿经营管理"],
    ["食品工艺", "白酒酿造", "茶叶加工", "食品安全检测", "冷链物流", "特色农产品深加工"],
    ["中药材种植", "药物制剂", "临床医学", "医疗器械研发", "生物发酵", "公共卫生"],
    ["石墨烯材料", "锂电池材料", "光伏工程", "天然气化工", "新型建材", "储能系统"],
    ["基础教育", "乡村规划", "财务管理", "土木工程", "软件开发", "农业技术推广"],
]  # fmt: skip
EDUCATION = [("博士研究生", 0.07), ("硕士研究生", 0.30), ("大学本科", 0.50), ("大学专科", 0.13)]
# Titles by weight (a title listed twice is twice as common); "" none.
TITLES = (
    ["正高级工程师", "主任医师", "教授", "研究员", "正高级教师"]
    + ["高级工程师"] * 4
    + ["副主任医师"] * 2
    + ["副教授", "副研究员", "高级农艺师", "高级经济师", "高级教师"] * 2
    + ["工程师"] * 6
    + ["主治医师"] * 3
    + ["讲师", "农艺师", "经济师", "一级教师", "技师", "高级技师"] * 2
    + [""] * 6
)
POSITIONS = [
    "技术总监", "研发工程师", "科室主任", "主治医生", "专任教师", "项目经理", "总经理",
    "副总经理", "车间主任", "科研人员", "规划设计师", "质量负责人", "产品经理", "教研组长",
    "财务总监", "总工程师",
]  # fmt: skip
LEADERS = [
    "区委副书记 张某", "区委常委、组织部部长 李某", "副区长 王某", "区人大常委会副主任 刘某",
    "区政协副主席 陈某", "区委常委、宣传部部长 杨某", "副区长 赵某", "区委常委、统战部部长 黄某",
    "区委常委、常务副区长 周某", "区委常委、政法委书记 吴某",
]  # fmt: skip
SUMMARIES = [
    "到单位走访，了解科研和生活情况，人才对园区配套总体满意。",
    "电话联系，了解近期工作进展和家庭生活情况。",
    "到项目现场走访，听取人才对产业发展的意见建议。",
    "线上视频联系，了解子女入学和住房安排情况。",
    "与单位负责人一同走访，了解人才团队建设和经费需求。",
    "节日慰问走访，转达区委区政府关心，人才表示愿长期在巴发展。",
]
CONCERNS = [
    ("希望园区增开通勤班车。", "已协调区交通运输局，园区班车于下月起增开。"),
    ("单位实验室设备老化，希望协调科研经费。", "已对接区科技局，纳入明年科技项目申报指导。"),
    ("人才公寓物业维修不及时。", "已督促物业公司限期整改，维修已完成。"),
    ("希望组织同行业人才交流活动。", "已纳入区人才办季度沙龙安排。"),
    ("职称评审材料申报流程不清楚。", "已电话讲解申报流程并发送办事指南，人才表示清楚。"),
    ("企业融资需要对接银行。", "已推荐“天府科创贷”产品并组织银企对接。"),
    ("希望简化人才公寓续租手续。", "已协调住建部门实行到期自动续租提醒。"),
    ("希望了解配偶在巴就业的政策。", "已送达配偶就业安置政策解读，人才表示满意。"),
]
# Concerns that need the talent's own consent (PIPL): medical and minors' matters.
CONSENT_CONCERNS = [
    ("MEDICAL", "家中老人需要就医，希望开通绿色通道预约专家门诊。"),
    ("SCHOOL", "子女明年升学，希望协调就近入学。"),
]
JOURNALS = ["四川旅游", "中国酿造", "中草药", "化工进展", "四川农业大学学报", "中国卫生事业管理"]
OUTPUTS = [
    ("paper", 0.40, "川东北地区{s}实践与探索"),
    ("patent", 0.25, "一种用于{s}的装置"),
    ("project", 0.15, "巴中市{s}科技项目"),
    ("award", 0.10, "巴中市科学技术进步奖（{s}）"),
    ("standard", 0.05, "{s}技术规范"),
    ("book", 0.05, "{s}理论与应用"),
]
# Analyzed after a run (and the requests, some of which a run marks as filed by an officer).
TABLES = (
    "talents_talentprofile",
    "talents_researchoutput",
    "talents_talentcount",
    "talents_liaison",
    "talents_liaisonevent",
    "talents_liaisonnotice",
    "talents_visit",
    "talents_concern",
    "services_servicerequest",
)
OFFICERS_PERSONA = "demo_staff"  # the officer the benchmark measures (and the demo talent's)
OVERDUE_SHARE = 0.10
FILED_SHARE = 0.25


def employers(count: int = 300, seed: float = 0.78) -> list[str]:
    """``count`` made-up employers in the district: public bodies first, then companies."""
    public = [
        "巴中市中心医院", "巴州区人民医院", "巴州区中医医院", "巴中市第三人民医院",
        "巴州区妇幼保健院", "巴中中学", "巴州区第三中学", "巴州区第四中学", "巴中职业技术学院",
        "巴中市农业科学研究院", "巴州区疾病预防控制中心", "巴州区人民政府", "巴中经济开发区管委会",
        "巴州区文化广电旅游局", "巴州区农业农村局", "巴中市林业科学研究所", "巴州区第一小学",
        "巴州区实验小学", "巴州区第二人民医院", "巴中市中医院",
    ]  # fmt: skip
    places = ["巴中", "巴州", "秦巴", "米仓山", "光雾山", "恩阳", "化成", "江北", "回风", "大茅坪"]
    words = ["宏达", "鑫源", "华信", "恒通", "瑞丰", "天成", "金科", "锦程", "润泽", "博远",
             "新川", "汇力", "中和", "兴业", "嘉禾"]  # fmt: skip
    kinds = ["文旅发展", "康养产业", "食品", "酒业", "茶业", "生物医药", "药业", "新材料",
             "新能源", "石墨科技", "建设工程", "农业科技", "数字科技", "物流"]  # fmt: skip
    rng = random.Random(seed)  # noqa: S311 - made-up, reproducible data
    companies = set()
    while len(companies) < count - len(public):
        companies.add(
            f"{rng.choice(places)}{rng.choice(words)}{rng.choice(kinds)}"
            f"{rng.choice(['有限公司', '股份有限公司', '集团有限公司'])}"
        )
    return public + sorted(companies)


def _text_array(values) -> str:
    """A constant text[] literal (the values are this module's, single quotes doubled)."""
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def _pick(shares, r: str) -> str:
    """CASE over cumulative shares: the value whose band ``r`` (0–1) falls into."""
    cases, total = [], 0.0
    for value, share in shares[:-1]:
        total += share
        cases.append(f"WHEN {r} < {total:.4f} THEN '{value}'")
    return "CASE " + " ".join(cases) + f" ELSE '{shares[-1][0]}' END"


def _clear(cursor) -> None:
    """Empty the talents' tables and undo the 代办 marks a previous run put on requests."""
    from talents.models import (
        Concern,
        Liaison,
        LiaisonEvent,
        LiaisonNotice,
        ResearchOutput,
        TalentCount,
        TalentProfile,
        Visit,
    )

    cursor.execute(
        """
        UPDATE services_requestevent e SET actor_id = r.talent_id, note = ''
        FROM services_servicerequest r
        WHERE r.filed_via = 'liaison' AND e.request_id = r.id AND e.action = 'filed'
        """
    )
    cursor.execute(
        "UPDATE services_servicerequest SET filed_by_id = NULL, filed_via = '' "
        "WHERE filed_via = 'liaison'"
    )
    tables = [
        m._meta.db_table
        for m in (
            Concern,
            LiaisonNotice,
            LiaisonEvent,
            Visit,
            Liaison,
            ResearchOutput,
            TalentCount,
            TalentProfile,
        )
    ]
    cursor.execute(f"TRUNCATE {', '.join(tables)}")


# --- profiles ---------------------------------------------------------------------------------
def _profiles(cursor, now, seed: float) -> dict:
    from talents.models import ResearchOutput, TalentProfile

    written = {}
    chain_index = (
        "CASE p.chain "
        + " ".join(f"WHEN '{code}' THEN {i}" for i, (code, _share) in enumerate(CHAINS))
        + " END"
    )
    specialties = _text_array([s for group in SPECIALTIES for s in group])
    employer_list = employers()
    cursor.execute("SELECT setseed(%s)", [seed])
    cursor.execute("DROP TABLE IF EXISTS b_prof")
    # The holder's latest card (the generator gives each one; a later run may have more).
    cursor.execute(
        f"""
        CREATE TEMP TABLE b_prof AS
        SELECT p.*, {chain_index} AS chain_i
        FROM (
            SELECT p.*, {_pick(CHAINS, "p.r_chain")} AS chain
            FROM (
            SELECT c.holder_id, c.id AS card_id, c.tier, c.status AS card_status, c.issued_at,
                   random() AS r_chain, random() AS r_edu, random() AS r_title,
                   random() AS r_emp, random() AS r_pos,
                   random() AS r_arr, random() AS r_nspec, random() AS r_s1, random() AS r_s2,
                   random() AS r_out, random() AS r_nout
            FROM (SELECT DISTINCT ON (holder_id) * FROM cards_card
                  ORDER BY holder_id, issued_at DESC, id DESC) c
            ORDER BY c.holder_id
            ) p
        ) p
        """
    )
    # Doctors and senior titles more often in the A and B tiers.
    edu_r = "CASE p.tier WHEN 'A' THEN p.r_edu * 0.3 WHEN 'B' THEN p.r_edu * 0.6 ELSE p.r_edu END"
    title_r = (
        "CASE p.tier WHEN 'A' THEN p.r_title * 0.25 WHEN 'B' THEN p.r_title * 0.5 "
        "ELSE p.r_title END"
    )
    n_titles, n_emp = len(TITLES), len(employer_list)
    # Specialty i of the chain: 1-based index into the flat array of six per chain.
    spec = "({sp})[p.chain_i * 6 + 1 + mod(floor(p.r_s1 * 6)::int + {k}, 6)]"
    spec1 = spec.format(sp=specialties, k=0)
    spec2 = spec.format(sp=specialties, k="1 + floor(p.r_s2 * 5)::int")
    spec3 = spec.format(sp=specialties, k="mod(1 + floor(p.r_s2 * 5)::int, 5) + 1")
    written["profiles"] = _insert(
        cursor,
        TalentProfile,
        {
            "holder_id": "p.holder_id",
            "card_id": "p.card_id",
            "industry_chain": "p.chain",
            "specialties": f"""CASE WHEN p.r_nspec < 0.4 THEN jsonb_build_array({spec1})
                WHEN p.r_nspec < 0.8 THEN jsonb_build_array({spec1}, {spec2})
                ELSE jsonb_build_array({spec1}, {spec2}, {spec3}) END""",
            "tier": "p.tier",
            "standing": "CASE p.card_status WHEN 'active' THEN 'active' "
            "WHEN 'suspended' THEN 'suspended' ELSE 'departed' END",
            # A few employers are large (a power law over the list), most are small.
            "employer": f"({_text_array(employer_list)})"
            f"[1 + floor(power(p.r_emp, 2.2) * {n_emp})::int]",
            "position": f"({_text_array(POSITIONS)})[1 + floor(p.r_pos * {len(POSITIONS)})::int]",
            "education": _pick(EDUCATION, edu_r),
            "professional_title": f"({_text_array(TITLES)})"
            f"[1 + floor(({title_r}) * {n_titles})::int]",
            "arrival_year": "2010 + floor(power(p.r_arr, 0.6) * 17)::int",
            "updated_at": "p.issued_at + interval '1 hour'",
        },
        "FROM b_prof p ORDER BY p.holder_id",
        {},
    )
    kinds, total = [], 0.0
    for kind, share, _title in OUTPUTS[:-1]:
        total += share
        kinds.append((kind, total))
    kind_case = (
        "CASE "
        + " ".join(f"WHEN o.r_kind < {bound:.4f} THEN '{kind}'" for kind, bound in kinds)
        + f" ELSE '{OUTPUTS[-1][0]}' END"
    )
    title_case = (
        "CASE o.kind "
        + " ".join(
            f"WHEN '{kind}' THEN " + "'" + title.replace("{s}", "' || o.spec || '") + "'"
            for kind, _share, title in OUTPUTS
        )
        + " END"
    )
    journals = _text_array(JOURNALS)
    this_year = timezone.localdate(now).year
    written["research_outputs"] = _insert(
        cursor,
        ResearchOutput,
        {
            "profile_id": "o.profile_id",
            "n": "o.n",
            "kind": "o.kind",
            "title": title_case,
            "year": "o.year",
            "ref": f"""CASE o.kind
                WHEN 'paper' THEN '《' || ({journals})[1 + floor(o.r_ref * {len(JOURNALS)})::int]
                    || '》' || o.year || '年第' || (1 + floor(o.r_ref * 12)::int) || '期'
                WHEN 'patent' THEN 'ZL' || o.year || '1' || lpad((o.profile_id * 7 + o.n)::text,
                    7, '0') || '.' || mod(o.profile_id, 10)
                WHEN 'standard' THEN 'DB5119/T ' || (10 + mod(o.profile_id, 90)) || '—' || o.year
                ELSE '' END""",
        },
        f"""FROM (
            SELECT tp.id AS profile_id, s.n, tp.specialties ->> 0 AS spec,
                   {kind_case.replace("o.r_kind", "s.r_kind")} AS kind,
                   LEAST({this_year}, 2012 + floor(s.r_year * 15)::int) AS year, s.r_ref
            FROM b_prof p
            JOIN talents_talentprofile tp ON tp.holder_id = p.holder_id
            CROSS JOIN LATERAL (
                SELECT g AS n, random() AS r_kind, random() AS r_year, random() AS r_ref
                FROM generate_series(1, 1 + floor(p.r_nout * 4)::int) g
            ) s
            WHERE p.r_out < 0.30
        ) o ORDER BY o.profile_id, o.n""",
        {},
    )
    cursor.execute("DROP TABLE b_prof")
    return written


# --- liaisons, visits, concerns ---------------------------------------------------------------
def _officers() -> tuple[list[int], int, int | None]:
    """The officers (every demo staff and lead account, and demo_admin), the persona's id,
    and the admin's (who assigns)."""
    from portal.models import Role, User

    rows = dict(
        User.objects.filter(
            username__startswith="demo_", role__in=(Role.STAFF, Role.LEAD, Role.ADMIN)
        )
        .order_by("username")
        .values_list("username", "id")
    )
    return list(rows.values()), rows.get(OFFICERS_PERSONA), rows.get("demo_admin")


def _stage_liaisons(cursor, now, seed: float, wd: WorkdaySql) -> None:
    """Temp tables b_lia (one row per liaison, every column), b_vis (its visits)."""
    officers, persona, _admin = _officers()
    if not officers:
        raise RuntimeError("no demo staff, lead or admin account to serve as officer")
    officer_array = "ARRAY[" + ", ".join(map(str, officers)) + "]::bigint[]"
    today = timezone.localdate(now)
    cursor.execute("DROP TABLE IF EXISTS b_l0, b_l1, b_vis0, b_vis, b_lia")
    cursor.execute("SELECT setseed(%s)", [seed])
    cursor.execute(
        """
        CREATE TEMP TABLE b_l0 AS
        SELECT c.id AS card_id, c.holder_id AS talent_id, c.tier, c.issued_at,
               u.username = 'demo_talent' AS demo,
               random() AS r_int, random() AS r_over, random() AS r_off, random() AS r_nv,
               random() AS r_officer, random() AS r_leader, random() AS r_assign,
               random() AS r_file
        FROM cards_card c JOIN portal_user u ON u.id = c.holder_id
        WHERE c.status = 'active' AND c.tier IN ('A', 'B', 'C')
          AND NOT EXISTS (SELECT 1 FROM talents_liaison l WHERE l.card_id = c.id)
        ORDER BY c.id
        """
    )
    # Every 30 (A), 60 or 90 days; the last visit recent, or (10 %) over an interval ago.
    cursor.execute(
        f"""
        CREATE TEMP TABLE b_l1 AS
        SELECT l.*, iv.every,
               CASE WHEN l.r_over < {OVERDUE_SHARE} AND NOT l.demo
                    THEN iv.every + 1 + floor(l.r_off * 90)::int
                    ELSE floor(l.r_off * iv.every)::int END AS last_offset,
               CASE WHEN l.demo THEN 3 ELSE 1 + floor(l.r_nv * 5)::int END AS nv,
               CASE WHEN l.demo THEN {persona or officers[0]}
                    ELSE ({officer_array})[1 + floor(l.r_officer * {len(officers)})::int]
               END AS officer_id,
               ({_text_array(LEADERS)})[1 + floor(l.r_leader * {len(LEADERS)})::int] AS leader
        FROM b_l0 l
        CROSS JOIN LATERAL (
            SELECT CASE l.tier WHEN 'A' THEN 30
                               WHEN 'B' THEN CASE WHEN l.r_int < 0.3 THEN 30 ELSE 60 END
                               ELSE CASE WHEN l.r_int < 0.25 THEN 60 ELSE 90 END END AS every
        ) iv
        """
    )
    # The visits, newest first: the last one last_offset days ago, each earlier one about
    # an interval before the next; none before the assignment (a day to a month after the
    # card's issue, never after the last visit).
    cursor.execute(
        """
        CREATE TEMP TABLE b_vis0 AS
        SELECT l.card_id, g.k, %(today)s::date - l.last_offset
                   - COALESCE(sum(g.gap) OVER (PARTITION BY l.card_id ORDER BY g.k
                              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::int
                   AS visited_on,
               random() AS r_mode, random() AS r_sum, random() AS r_rec, random() AS r_nc
        FROM b_l1 l
        CROSS JOIN LATERAL (
            SELECT k, round(l.every * (0.75 + 0.5 * random()))::int AS gap
            FROM generate_series(0, l.nv - 1) k
        ) g
        """,
        {"today": today},
    )
    cursor.execute(
        """
        CREATE TEMP TABLE b_lia AS
        SELECT l.*, a.assigned_day,
               (a.assigned_day + time '10:00') AT TIME ZONE 'Asia/Shanghai' AS assigned_at
        FROM b_l1 l
        CROSS JOIN LATERAL (
            SELECT LEAST((l.issued_at AT TIME ZONE 'Asia/Shanghai')::date + 1
                         + floor(l.r_assign * 30)::int,
                         %(today)s::date - l.last_offset) AS assigned_day
        ) a
        """,
        {"today": today},
    )
    cursor.execute("CREATE UNIQUE INDEX ON b_lia (card_id)")
    cursor.execute(
        """
        DELETE FROM b_vis0 v USING b_lia l
        WHERE v.card_id = l.card_id AND v.k > 0 AND v.visited_on < l.assigned_day
        """
    )
    # 代办: for ~a quarter of the liaisons, one of the talent's requests of a type that needs
    # no separate consent, filed between the assignment and the last visit.
    cursor.execute(
        f"""
        CREATE TEMP TABLE b_filed AS
        SELECT DISTINCT ON (l.card_id) l.card_id, r.id AS request_id, r.submitted_at,
               r.service_type_id, r.fields, r.description
        FROM b_lia l
        JOIN services_servicerequest r ON r.talent_id = l.talent_id
        JOIN services_servicetype t ON t.id = r.service_type_id AND t.sensitivity = ''
        WHERE l.r_file < {FILED_SHARE} AND NOT l.demo
          AND (r.submitted_at AT TIME ZONE 'Asia/Shanghai')::date
              BETWEEN l.assigned_day AND %(today)s::date - l.last_offset
          AND r.submitted_at <= %(now)s AND r.filed_by_id IS NULL
        ORDER BY l.card_id, random()
        """,
        {"today": today, "now": now},
    )
    cursor.execute(
        """
        CREATE TEMP TABLE b_vis AS
        SELECT row_number() OVER (ORDER BY v.visited_on, v.card_id, v.k)
                   + (SELECT COALESCE(max(id), 0) FROM talents_visit) AS vid, v.*
        FROM (
            SELECT v.card_id, v.k, v.visited_on, v.r_mode, v.r_sum, v.r_nc,
                   LEAST(((v.visited_on + time '15:00') AT TIME ZONE 'Asia/Shanghai')
                         + v.r_rec * interval '5 hours', %(now)s) AS recorded_at,
                   NULL::bigint AS request_id
            FROM b_vis0 v
            UNION ALL
            SELECT f.card_id, -1, (f.submitted_at AT TIME ZONE 'Asia/Shanghai')::date,
                   random() * 0.8, random(), 0, f.submitted_at, f.request_id
            FROM b_filed f
        ) v
        """,
        {"now": now},
    )
    cursor.execute("CREATE UNIQUE INDEX ON b_vis (vid)")
    cursor.execute("DROP TABLE b_l0, b_l1, b_vis0")
    # Each liaison's id, last visit and clock: due_on, remind_at (00:00 of the 5th working
    # day back from due_on, itself counted), escalate_at (24:00 of the 10th working day
    # after), verified when every day counted is in the calendar.
    first_known = _first_known()
    cursor.execute(
        f"""
        CREATE TEMP TABLE b_lia2 AS
        SELECT l.*, x.*,
               (x.remind_day::timestamp AT TIME ZONE 'Asia/Shanghai') AS remind_at,
               {wd.end_of_day("x.escalate_day")} AS escalate_at,
               x.remind_day >= DATE '{first_known}'
                   AND x.escalate_day <= DATE '{wd.last_known}' AS calendar_verified
        FROM (
            SELECT l.*, row_number() OVER (ORDER BY l.card_id)
                       + (SELECT COALESCE(max(id), 0) FROM talents_liaison) AS lid,
                   m.last_visit_on
            FROM b_lia l
            JOIN (SELECT card_id, max(visited_on) AS last_visit_on FROM b_vis GROUP BY card_id)
                AS m ON m.card_id = l.card_id
        ) l
        CROSS JOIN LATERAL (
            SELECT l.last_visit_on + l.every AS due_on,
                   DATE '{SPAN_FIRST}'
                   + ({wd._offsets})[{wd.cum("l.last_visit_on + l.every")} - 4] AS remind_day,
                   {wd.add("l.last_visit_on + l.every", "10")} AS escalate_day
        ) x
        """
    )
    cursor.execute("DROP TABLE b_lia")
    cursor.execute("ALTER TABLE b_lia2 RENAME TO b_lia")
    cursor.execute("CREATE UNIQUE INDEX ON b_lia (card_id)")
    cursor.execute("ANALYZE b_lia")
    cursor.execute("ANALYZE b_vis")


def _first_known() -> datetime.date:
    from services.models import CalendarDay

    first = CalendarDay.objects.order_by("date").values_list("date", flat=True).first()
    return first or SPAN_FIRST


def _write_liaisons(cursor, now) -> dict:
    from talents.models import (
        Concern,
        Liaison,
        LiaisonEvent,
        LiaisonNotice,
        Visit,
    )

    _officers_list, _persona, admin = _officers()
    written = {}
    written["liaisons"] = _insert(
        cursor,
        Liaison,
        {
            "id": "l.lid",
            "card_id": "l.card_id",
            "talent_id": "l.talent_id",
            "leader": "l.leader",
            "officer_id": "l.officer_id",
            "visit_every_days": "l.every",
            "assigned_at": "l.assigned_at",
            "last_visit_on": "l.last_visit_on",
            "due_on": "l.due_on",
            "remind_at": "l.remind_at",
            "escalate_at": "l.escalate_at",
            # Where the sweeps have left it (talents.clocks.next_notice).
            "next_notice_at": "CASE WHEN %(now)s < l.remind_at THEN l.remind_at "
            "WHEN %(now)s < l.escalate_at THEN l.escalate_at END",
            "calendar_verified": "l.calendar_verified",
        },
        "FROM b_lia l ORDER BY l.lid",
        {"now": now},
    )
    _setval(cursor, Liaison)
    modes = "CASE WHEN v.r_mode < 0.5 THEN 'in_person' WHEN v.r_mode < 0.85 THEN 'phone' " + (
        "ELSE 'online' END"
    )
    written["visits"] = _insert(
        cursor,
        Visit,
        {
            "id": "v.vid",
            "liaison_id": "l.lid",
            "visited_on": "v.visited_on",
            "mode": modes,
            "summary": f"({_text_array(SUMMARIES)})[1 + floor(v.r_sum * {len(SUMMARIES)})::int]",
            "recorded_by_id": "l.officer_id",
            "recorded_at": "v.recorded_at",
        },
        "FROM b_vis v JOIN b_lia l ON l.card_id = v.card_id ORDER BY v.vid",
        {},
    )
    _setval(cursor, Visit)
    # Concerns: the filed one of a 代办 visit; elsewhere none, one or two. Older ones mostly
    # resolved; a few of a consent type waiting for the talent (recent) or declined.
    texts = _text_array([t for t, _r in CONCERNS])
    answers = _text_array([r for _t, r in CONCERNS])
    consent_codes = _text_array([code for code, _t in CONSENT_CONCERNS])
    consent_texts = _text_array([t for _c, t in CONSENT_CONCERNS])
    cursor.execute("DROP TABLE IF EXISTS b_con")
    cursor.execute(
        """
        CREATE TEMP TABLE b_con AS
        SELECT v.vid, c.n, v.visited_on, v.recorded_at, v.request_id, l.tier,
               random() AS r_text, random() AS r_state, random() AS r_consent, random() AS r_res
        FROM b_vis v JOIN b_lia l ON l.card_id = v.card_id
        CROSS JOIN LATERAL generate_series(
            1, CASE WHEN v.request_id IS NOT NULL THEN 1
                    WHEN v.r_nc < 0.30 THEN 1 WHEN v.r_nc < 0.37 THEN 2 ELSE 0 END) AS c (n)
        """
    )
    consent = "c.request_id IS NULL AND c.r_consent < 0.04"
    recent = "c.visited_on >= %(today)s::date - 60"
    consent_i = "1 + floor(c.r_text * 2)::int"
    written["concerns"] = _insert(
        cursor,
        Concern,
        {
            "visit_id": "c.vid",
            "n": "c.n",
            "text": f"CASE WHEN c.request_id IS NOT NULL THEN COALESCE(NULLIF(f.description, ''), "
            f"'代办服务申请') WHEN {consent} THEN ({consent_texts})[{consent_i}] "
            f"ELSE ({texts})[1 + floor(c.r_text * {len(CONCERNS)})::int] END",
            "service_type_id": f"CASE WHEN c.request_id IS NOT NULL THEN f.service_type_id "
            f"WHEN {consent} THEN st.id END",
            "fields": f"CASE WHEN c.request_id IS NOT NULL THEN f.fields "
            f"WHEN {consent} THEN COALESCE(df.fields, '{{}}'::jsonb) ELSE '{{}}'::jsonb END",
            "status": f"CASE WHEN c.request_id IS NOT NULL THEN 'filed' "
            f"WHEN {consent} THEN CASE WHEN c.visited_on >= %(today)s::date - 14 "
            f"THEN 'awaiting_consent' ELSE 'declined' END "
            f"WHEN {recent} AND c.r_state < 0.6 THEN 'noted' "
            f"WHEN c.r_state < 0.12 THEN 'noted' ELSE 'resolved' END",
            "request_id": "c.request_id",
            "resolved_at": f"CASE WHEN c.request_id IS NULL AND NOT ({consent}) "
            f"AND NOT (({recent} AND c.r_state < 0.6) OR c.r_state < 0.12) "
            "THEN LEAST(c.recorded_at + (1 + c.r_res * 20) * interval '1 day', %(now)s) END",
            "resolution": f"CASE WHEN c.request_id IS NULL AND NOT ({consent}) "
            f"AND NOT (({recent} AND c.r_state < 0.6) OR c.r_state < 0.12) "
            f"THEN ({answers})[1 + floor(c.r_text * {len(CONCERNS)})::int] ELSE '' END",
        },
        f"""FROM b_con c
            LEFT JOIN b_filed f ON f.request_id = c.request_id
            LEFT JOIN services_servicetype st ON st.code = ({consent_codes})[{consent_i}]
            LEFT JOIN ({_fields_values()}) AS df (code, fields, description)
                ON df.code = st.code
            ORDER BY c.vid, c.n""",
        {"now": now, "today": timezone.localdate(now)},
    )
    # 代办: the requests a visit filed, as request_file writes them for an officer.
    cursor.execute(
        """
        UPDATE services_servicerequest r SET filed_by_id = l.officer_id, filed_via = 'liaison'
        FROM b_filed f JOIN b_lia l ON l.card_id = f.card_id
        WHERE r.id = f.request_id
        """
    )
    written["requests filed by officers"] = cursor.rowcount
    cursor.execute(
        """
        UPDATE services_requestevent e SET actor_id = l.officer_id,
               note = '由服务专员' || COALESCE(NULLIF(u.real_name, ''), u.username)
                      || '代为提交（代办）'
        FROM b_filed f JOIN b_lia l ON l.card_id = f.card_id
        JOIN portal_user u ON u.id = l.officer_id
        WHERE e.request_id = f.request_id AND e.action = 'filed'
        """
    )
    # The timeline: assigned by the admin, then each visit.
    written["events"] = _insert(
        cursor,
        LiaisonEvent,
        {
            "liaison_id": "l.lid",
            "at": "l.assigned_at",
            "actor_id": str(admin) if admin else "NULL",
            "action": "'assigned'",
            "note": "'联系领导：' || l.leader || '；服务专员：' "
            "|| COALESCE(NULLIF(u.real_name, ''), u.username) || '；每' || l.every || '天走访一次'",
        },
        "FROM b_lia l JOIN portal_user u ON u.id = l.officer_id ORDER BY l.lid",
        {},
    )
    written["events"] += _insert(
        cursor,
        LiaisonEvent,
        {
            "liaison_id": "l.lid",
            "at": "v.recorded_at",
            "actor_id": "l.officer_id",
            "action": "'visited'",
            "note": "to_char(v.visited_on, 'YYYY-MM-DD') || ' ' || "
            "CASE WHEN v.r_mode < 0.5 THEN '上门走访' WHEN v.r_mode < 0.85 THEN '电话联系' "
            "ELSE '线上联系' END",
        },
        "FROM b_vis v JOIN b_lia l ON l.card_id = v.card_id ORDER BY v.recorded_at, v.vid",
        {},
    )
    # The concerns' steps (talents.visits._step: the concern by number, never its text): the
    # officer resolved it; the talent declined a consent type (a day or two after the visit).
    written["events"] += _insert(
        cursor,
        LiaisonEvent,
        {
            "liaison_id": "v.liaison_id",
            "at": "CASE c.status WHEN 'resolved' THEN c.resolved_at "
            "ELSE LEAST(v.recorded_at + interval '36 hours', %(now)s) END",
            "actor_id": "CASE c.status WHEN 'resolved' THEN l.officer_id ELSE l.talent_id END",
            "action": "CASE c.status WHEN 'resolved' THEN 'concern_resolved' "
            "ELSE 'concern_declined' END",
            "note": "'走访诉求 #' || c.id",
        },
        """FROM talents_concern c JOIN talents_visit v ON v.id = c.visit_id
            JOIN talents_liaison l ON l.id = v.liaison_id
            WHERE c.status IN ('resolved', 'declined') ORDER BY c.id""",
        {"now": now},
    )
    # The notices the sweeps have sent for the current due day (once per level).
    written["notices"] = _insert(
        cursor,
        LiaisonNotice,
        {
            "liaison_id": "l.lid",
            "level": "n.level",
            "due_on": "l.due_on",
            "created_at": "n.at + interval '3 minutes'",
        },
        """FROM b_lia l CROSS JOIN LATERAL (VALUES ('remind', l.remind_at),
                                                  ('escalated', l.escalate_at)) AS n (level, at)
            WHERE n.at + interval '3 minutes' <= %(now)s""",
        {"now": now},
    )
    return written


def _setval(cursor, model) -> None:
    table = model._meta.db_table
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
        f"(SELECT COALESCE(max(id), 1) FROM {table}))"
    )


def generate_talents(now=None, *, seed: float = 0.56) -> dict:
    """Write the profiles, research outputs, liaisons, visits, concerns and their timelines
    (in the caller's transaction, replacing any there were); recount 人才画像's rollup.
    Returns rows written per table."""
    from talents import rollups

    now = now or timezone.now()
    # Through the escalation of a visit due a quarter from now.
    wd = WorkdaySql(years=timezone.localdate(now).year + 2 - SPAN_FIRST.year)
    with connection.cursor() as cursor:
        _clear(cursor)
        written = _profiles(cursor, now, seed)
        _stage_liaisons(cursor, now, seed / 2, wd)
        written.update(_write_liaisons(cursor, now))
        cursor.execute("DROP TABLE b_lia, b_vis, b_con, b_filed")
    written["talent count cells"] = rollups.rebuild()
    return written


# --- the check ----------------------------------------------------------------------------
LIAISON_DERIVED = ["due_on", "remind_at", "escalate_at", "calendar_verified"]


def talents_check(size: int, now=None) -> tuple[int, list[str]]:
    """Of ``size`` random liaisons, the ones whose derived columns differ from what
    talents.clocks.liaison_derive derives from their facts (next_notice_at as the sweep
    leaves it, talents.clocks.next_notice, when ``now`` is the generator's). Returns (rows
    checked, descriptions of mismatches)."""
    from talents import clocks
    from talents.models import Liaison

    checked, wrong = 0, []
    for liaison in Liaison.objects.order_by("?")[:size]:
        stored = {f: getattr(liaison, f) for f in [*LIAISON_DERIVED, "next_notice_at"]}
        clocks.liaison_derive(liaison, now or timezone.now())
        derived = {f: getattr(liaison, f) for f in LIAISON_DERIVED}
        if now is not None:
            derived["next_notice_at"] = clocks.next_notice(liaison, now)
        if any(stored[f] != derived[f] for f in derived):
            wrong.append(f"liaison {liaison.pk}: {stored} ≠ {derived}")
        checked += 1
    return checked, wrong


def describe() -> dict:
    """The talents' figures for the report's data set."""
    from django.db.models import Count

    from services.models import ServiceRequest
    from talents.models import (
        Concern,
        Liaison,
        ResearchOutput,
        TalentCount,
        TalentProfile,
        Visit,
    )

    today = timezone.localdate()
    checked, wrong = talents_check(500)
    concerns = dict(Concern.objects.values_list("status").annotate(n=Count("id")).order_by())
    intervals = dict(
        Liaison.objects.values_list("visit_every_days").annotate(n=Count("id")).order_by()
    )
    return {
        "profiles": TalentProfile.objects.count(),
        "with_outputs": ResearchOutput.objects.values("profile").distinct().count(),
        "outputs": ResearchOutput.objects.count(),
        "employers": TalentProfile.objects.values("employer").distinct().count(),
        "count_cells": TalentCount.objects.count(),
        "liaisons": Liaison.objects.count(),
        "intervals": {str(k): v for k, v in intervals.items()},
        "officers": Liaison.objects.values("officer").distinct().count(),
        "overdue": Liaison.objects.filter(due_on__lt=today).count(),
        "visits": Visit.objects.count(),
        "concerns": sum(concerns.values()),
        "concern_statuses": concerns,
        "filed": ServiceRequest.objects.filter(filed_via="liaison").count(),
        "checked": checked,
        "mismatched": len(wrong),
        "mismatches": wrong[:5],
    }


def as_json(written: dict) -> str:
    return json.dumps(written, ensure_ascii=False)
