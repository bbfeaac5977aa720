"""Reference data of the portal layer."""

from portal.models import Department

# DESIGN.md "Departments": code, name, English name, in the order the district lists them.
DEPARTMENTS = [
    ("ZZB", "区委组织部（人才办）",
     "Organization Department of the District Committee (Talent Office)"),
    ("JYJ", "区教育科技局", "District Bureau of Education, Science and Technology"),
    ("ZJJ", "区住房和城乡建设局", "District Bureau of Housing and Urban-Rural Development"),
    ("WJJ", "区卫生健康局", "District Health Commission"),
    ("RSJ", "区人力资源和社会保障局", "District Bureau of Human Resources and Social Security"),
    ("ZWJ", "区政务服务和大数据管理局", "District Bureau of Government Services and Big Data"),
    ("GAJ", "巴中市公安局巴州区分局",
     "Bazhou District Branch of the Bazhong Public Security Bureau"),
    ("CZJ", "区财政局", "District Finance Bureau"),
]  # fmt: skip


def seed_departments() -> int:
    """Create the eight departments, or bring their names (Chinese and English) and order up
    to date. Returns how many were created. A department an admin deactivated stays
    deactivated."""
    created = 0
    for order, (code, name, name_en) in enumerate(DEPARTMENTS, start=1):
        _, was_created = Department.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "sort_order": order}
        )
        created += was_created
    return created


# Reference and demo data of layers above services (subsidies …), loaded by seed_demo after
# the rest; each registered from its AppConfig.ready(): name → (reference(), demo()), each
# returning a line to print ("" for nothing).
_more: dict = {}


def register_seed(name: str, *, reference, demo=None) -> None:
    _more[name] = (reference, demo)


def registered_seeds() -> dict:
    return dict(_more)
