"""The rollup behind 人才画像 (TalentCount): one cell per (dimension, key, standing, arrival
year). Every change of a profile's counted facts moves its cells in the same transaction
(``move``); ``rebuild`` recounts the whole table from the profiles (after a bulk load, in the
data migration, and nightly as a reconcile that a test proves equal)."""

from collections import Counter

from django.db import connection, transaction
from django.db.models import Count, F

from talents.models import Dimension, TalentCount, TalentProfile

# dimension → the profile's key for it (a string; "" for unknown).
KEYS = {
    Dimension.INDUSTRY_CHAIN: lambda p: p.industry_chain,
    Dimension.TIER: lambda p: p.tier,
    Dimension.EDUCATION: lambda p: p.education,
    Dimension.PROFESSIONAL_TITLE: lambda p: p.professional_title,
    Dimension.ARRIVAL_YEAR: lambda p: str(p.arrival_year or ""),
    Dimension.EMPLOYER: lambda p: p.employer,
}
# The profile columns the keys read (a change of another column moves nothing).
COUNTED = (
    "card_id",
    "standing",
    "industry_chain",
    "tier",
    "education",
    "professional_title",
    "arrival_year",
    "employer",
)

Cell = tuple[str, str, str, int]


def cells(profile: TalentProfile) -> list[Cell]:
    """The cells ``profile`` counts in: none before it has a card."""
    if profile.card_id is None or not profile.standing:
        return []
    year = profile.arrival_year or 0
    return [(str(d), key(profile), profile.standing, year) for d, key in KEYS.items()]


def move(before: list[Cell], after: list[Cell]) -> None:
    """Take ``before`` out of the counts and put ``after`` in (in the caller's transaction).
    Cells are written in a fixed order, so two moves at once never deadlock."""
    delta = Counter(after)
    delta.subtract(Counter(before))
    changes = sorted((cell, n) for cell, n in delta.items() if n)
    if not changes:
        return
    TalentCount.objects.bulk_create(
        [
            TalentCount(dimension=d, key=k, standing=s, arrival_year=y, n=0)
            for (d, k, s, y), _n in changes
        ],
        ignore_conflicts=True,
    )
    for (d, k, s, y), n in changes:
        TalentCount.objects.filter(dimension=d, key=k, standing=s, arrival_year=y).update(
            n=F("n") + n
        )


def counted(profile: TalentProfile) -> tuple:
    return tuple(getattr(profile, name) for name in COUNTED)


@transaction.atomic
def rebuild() -> int:
    """Recount every cell from the profiles; returns the cells written."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {TalentCount._meta.db_table} IN EXCLUSIVE MODE")
    TalentCount.objects.all().delete()
    counted_rows = TalentProfile.objects.filter(card__isnull=False).exclude(standing="")
    made = []
    for dimension in KEYS:
        column = "arrival_year" if dimension == Dimension.ARRIVAL_YEAR else str(dimension)
        names = list(dict.fromkeys([column, "standing", "arrival_year"]))
        groups = counted_rows.values(*names).annotate(n=Count("id")).order_by(*names)
        for row in groups:
            key = row[column]
            if dimension == Dimension.ARRIVAL_YEAR:
                key = str(key or "")
            made.append(
                TalentCount(
                    dimension=dimension,
                    key=key or "",
                    standing=row["standing"],
                    arrival_year=row["arrival_year"] or 0,
                    n=row["n"],
                )
            )
    TalentCount.objects.bulk_create(made, batch_size=1000)
    return len(made)


def differences() -> list[tuple]:
    """Cells whose count differs from a recount (empty when the rollup is right)."""
    stored = {
        (r.dimension, r.key, r.standing, r.arrival_year): r.n
        for r in TalentCount.objects.all()
        if r.n
    }
    fresh: Counter = Counter()
    for profile in TalentProfile.objects.filter(card__isnull=False).exclude(standing="").iterator():
        fresh.update(cells(profile))
    keys = set(stored) | set(fresh)
    return sorted(
        (key, stored.get(key, 0), fresh.get(key, 0))
        for key in keys
        if stored.get(key, 0) != fresh.get(key, 0)
    )
