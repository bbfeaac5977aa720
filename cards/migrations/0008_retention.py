# The retention job (cards.retention): when a card's and an application's personal details were
# erased, and the rows still to erase indexed by the date their period starts from.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cards", "0007_card_public_ref")]

    operations = [
        migrations.AddField(
            model_name="card",
            name="erased_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="个人信息删除时间"),
        ),
        migrations.AddField(
            model_name="cardapplication",
            name="erased_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="个人信息删除时间"),
        ),
        migrations.AddIndex(
            model_name="card",
            index=models.Index(
                condition=models.Q(
                    ("erased_at__isnull", True), ("status__in", ["expired", "revoked"])
                ),
                fields=["valid_until"],
                name="card_retention_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="cardapplication",
            index=models.Index(
                condition=models.Q(("erased_at__isnull", True), ("status", "rejected")),
                fields=["decided_at"],
                name="cardapp_retention_idx",
            ),
        ),
    ]
