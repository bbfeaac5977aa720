"""Demo accounts for `make run` and the README: one per role, and a handler (经办人) and a
head (部门负责人) for every department, so that every service can be worked from the demo.
Never for production: ``seed_demo`` refuses to create them unless DEBUG is on or ``--force``
is given."""

from django.db import transaction

from portal.audit import AccountAction, audit_record
from portal.identity import IdType
from portal.models import Department, Role, User

# Printed in the README; demo accounts are refused outside DEBUG unless forced.
DEMO_PASSWORD = "Bazhou@2026"  # noqa: S105

# username, role, department code, real name, (id type, id number), phone
DEMO_ACCOUNTS = [
    (
        "demo_talent",
        Role.TALENT,
        None,
        "李明",
        (IdType.RESIDENT, "511902198803150029"),
        "13800002688",
    ),
    ("demo_staff", Role.STAFF, "ZJJ", "王芳", None, "13900001234"),
    ("demo_lead", Role.LEAD, "ZJJ", "陈刚", None, "13900005678"),
    ("demo_admin", Role.ADMIN, "ZZB", "赵敏", None, "13700001111"),
    ("demo_auditor", Role.AUDITOR, None, "孙审", None, ""),
    ("demo_verifier", Role.VERIFIER, None, "周核", None, ""),
]

# Every other department's handler and head: demo_<code>_staff / demo_<code>_lead (ZJJ keeps
# demo_staff / demo_lead above). Names and phones are made up.
DEPARTMENT_PEOPLE = [
    # code, handler, handler's phone, head, head's phone
    ("ZZB", "刘洋", "13900010001", "黄静", "13900010002"),
    ("JYJ", "张丽", "13900020001", "杨建国", "13900020002"),
    ("WJJ", "吴敏", "13900040001", "何志强", "13900040002"),
    ("RSJ", "郑霞", "13900050001", "罗勇", "13900050002"),
    ("ZWJ", "谢婷", "13900060001", "冯涛", "13900060002"),
    ("GAJ", "唐军", "13900070001", "邓华", "13900070002"),
    ("CZJ", "曹雪", "13900080001", "彭伟", "13900080002"),
]
for _code, _staff, _staff_phone, _lead, _lead_phone in DEPARTMENT_PEOPLE:
    DEMO_ACCOUNTS += [
        (f"demo_{_code.lower()}_staff", Role.STAFF, _code, _staff, None, _staff_phone),
        (f"demo_{_code.lower()}_lead", Role.LEAD, _code, _lead, None, _lead_phone),
    ]


def demo_department_people(code: str) -> tuple[str, str]:
    """The usernames of ``code``'s demo handler and head."""
    if code == "ZJJ":
        return "demo_staff", "demo_lead"
    return f"demo_{code.lower()}_staff", f"demo_{code.lower()}_lead"


def seed_demo_accounts() -> list[str]:
    """Create the demo accounts that do not exist yet; return their usernames."""
    created = []
    for username, role, dept, real_name, identity, phone in DEMO_ACCOUNTS:
        if User.objects.filter(username__iexact=username).exists():
            continue
        with transaction.atomic():
            user = User(
                username=username,
                role=role,
                real_name=real_name,
                phone=phone,
                department=Department.objects.get(code=dept) if dept else None,
            )
            user.set_password(DEMO_PASSWORD)
            if identity:
                user.set_id_number(*identity)
            user.save()
            audit_record(action=AccountAction.CREATE, obj=user, role=role, demo=True)
        created.append(username)
    return created
