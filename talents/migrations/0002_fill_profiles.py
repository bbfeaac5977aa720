"""Every card holder's profile, from their latest card and the application that granted it,
and 人才画像's rollup counted from them (a database that had cards before this app)."""

from collections import Counter

from django.db import migrations

STANDING = {
    "active": "active",
    "suspended": "suspended",
    "revoked": "departed",
    "expired": "departed",
}
FACTS = ("employer", "position", "education", "professional_title")


def fill(apps, schema_editor):
    Card = apps.get_model("cards", "Card")
    CardApplication = apps.get_model("cards", "CardApplication")
    TalentProfile = apps.get_model("talents", "TalentProfile")
    TalentCount = apps.get_model("talents", "TalentCount")
    latest = {}
    for card in Card.objects.order_by("holder_id", "issued_at", "id").iterator(chunk_size=2000):
        latest[card.holder_id] = card
    granted = {}
    rows = (
        CardApplication.objects.filter(status="approved", card__isnull=False)
        .order_by("talent_id", "decided_at", "id")
        .values("talent_id", "arrival_date", *FACTS)
    )
    for row in rows.iterator(chunk_size=2000):
        facts = granted.setdefault(row["talent_id"], {})
        for name in FACTS:
            if (row[name] or "").strip():
                facts[name] = row[name].strip()
        if row["arrival_date"] is not None:
            facts["arrival_year"] = row["arrival_date"].year
    existing = set(TalentProfile.objects.values_list("holder_id", flat=True))
    made = []
    for holder_id, card in latest.items():
        if holder_id in existing:
            continue
        made.append(
            TalentProfile(
                holder_id=holder_id,
                card_id=card.pk,
                tier=card.tier,
                standing=STANDING[card.status],
                **granted.get(holder_id, {}),
            )
        )
    TalentProfile.objects.bulk_create(made, batch_size=2000)
    counts = Counter()
    for p in (
        TalentProfile.objects.exclude(card_id=None).exclude(standing="").iterator(chunk_size=2000)
    ):
        year = p.arrival_year or 0
        for dimension, key in (
            ("industry_chain", p.industry_chain),
            ("tier", p.tier),
            ("education", p.education),
            ("professional_title", p.professional_title),
            ("arrival_year", str(p.arrival_year or "")),
            ("employer", p.employer),
        ):
            counts[(dimension, key, p.standing, year)] += 1
    TalentCount.objects.all().delete()
    TalentCount.objects.bulk_create(
        [
            TalentCount(dimension=d, key=k, standing=s, arrival_year=y, n=n)
            for (d, k, s, y), n in counts.items()
        ],
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [("talents", "0001_profiles_liaisons")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
