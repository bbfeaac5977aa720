"""Each card's public reference for the e-certificate's QR code (Card.public_ref), backfilled
with its own random value for the cards issued before it; and the log of public lookups
(CardPublicCheck)."""

import secrets

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

import cards.models.cards


def backfill(apps, schema_editor):
    """Each card its own random reference, a thousand cards a statement."""
    Card = apps.get_model("cards", "Card")
    pending = Card.objects.filter(public_ref__isnull=True).order_by("pk").only("pk")
    while batch := list(pending[:1000]):
        for card in batch:
            card.public_ref = secrets.token_urlsafe(16)
        Card.objects.bulk_update(batch, ["public_ref"])


class Migration(migrations.Migration):
    dependencies = [
        ("cards", "0006_english_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="card",
            name="public_ref",
            field=models.CharField(
                editable=False, max_length=32, null=True, verbose_name="公开核验码"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="card",
            name="public_ref",
            field=models.CharField(
                default=cards.models.cards.new_public_ref,
                editable=False,
                max_length=32,
                unique=True,
                verbose_name="公开核验码",
            ),
        ),
        migrations.CreateModel(
            name="CardPublicCheck",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="查询时间"
                    ),
                ),
                (
                    "status",
                    models.CharField(blank=True, max_length=10, verbose_name="显示状态"),
                ),
                (
                    "card",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="public_checks",
                        to="cards.card",
                        verbose_name="优才卡",
                    ),
                ),
            ],
            options={
                "verbose_name": "公开核验记录",
                "verbose_name_plural": "公开核验记录",
                "ordering": ["-at", "-id"],
                "indexes": [models.Index(fields=["card", "-at"], name="cardpubcheck_card_at_idx")],
            },
        ),
    ]
