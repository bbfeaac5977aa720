"""Reference data of the portal layer."""

from portal.models import Department

# DESIGN.md "Departments": code, name, in the order the district lists them.
DEPARTMENTS = [
    ("ZZB", "区委组织部（人才办）"),
    ("JYJ", "区教育科技局"),
    ("ZJJ", "区住房和城乡建设局"),
    ("WJJ", "区卫生健康局"),
    ("RSJ", "区人力资源和社会保障局"),
    ("ZWJ", "区政务服务和大数据管理局"),
    ("GAJ", "巴中市公安局巴州区分局"),
    ("CZJ", "区财政局"),
]


def seed_departments() -> int:
    """Create the eight departments, or bring their names and order up to date. Returns how
    many were created. A department an admin deactivated stays deactivated."""
    created = 0
    for order, (code, name) in enumerate(DEPARTMENTS, start=1):
        _, was_created = Department.objects.update_or_create(
            code=code, defaults={"name": name, "sort_order": order}
        )
        created += was_created
    return created
