"""Demo accounts, one per role, for `make run` and the README. Never for production:
``seed_demo`` refuses to create them unless DEBUG is on or ``--force`` is given."""

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
