"""Phone numbers encrypted at rest (issue 13 point 5), step 1 of 3: the new columns.

Accounts and the SMS outbox get an encrypted number and its keyed hash (for lookups by phone),
deliveries an encrypted address and the time it was erased. 0011 fills them, 0012 drops the
plaintext columns.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0009_jobs"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="phone_encrypted",
            field=models.TextField(blank=True, editable=False, verbose_name="手机号码（密文）"),
        ),
        migrations.AddField(
            model_name="user",
            name="phone_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="delivery",
            name="address_encrypted",
            field=models.TextField(blank=True, editable=False, verbose_name="地址（密文）"),
        ),
        migrations.AddField(
            model_name="delivery",
            name="address_erased_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="地址删除时间"),
        ),
        migrations.AddField(
            model_name="smsoutbox",
            name="phone_encrypted",
            field=models.TextField(blank=True, editable=False, verbose_name="手机号码（密文）"),
        ),
        migrations.AddField(
            model_name="smsoutbox",
            name="phone_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True),
        ),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["phone_hash"], name="user_phone_hash_idx"),
        ),
        migrations.AddIndex(
            model_name="smsoutbox",
            index=models.Index(fields=["phone_hash"], name="smsoutbox_phone_hash_idx"),
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                condition=models.Q(("address_erased_at__isnull", True)),
                fields=["created_at"],
                name="delivery_address_kept_idx",
            ),
        ),
    ]
