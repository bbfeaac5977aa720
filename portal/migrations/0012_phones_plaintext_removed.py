"""Phone numbers encrypted at rest, step 3 of 3: the plaintext columns dropped.

The two required columns are first made optional, so that reversing this migration re-creates
them filled with "" (then 0011 reversed decrypts into them)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0011_phones_encrypt_existing"),
    ]

    operations = [
        migrations.AlterField(
            model_name="delivery",
            name="address",
            field=models.CharField(blank=True, max_length=254, verbose_name="地址"),
        ),
        migrations.AlterField(
            model_name="smsoutbox",
            name="phone",
            field=models.CharField(blank=True, max_length=20, verbose_name="手机号码"),
        ),
        migrations.RemoveField(model_name="user", name="phone"),
        migrations.RemoveField(model_name="smsoutbox", name="phone"),
        migrations.RemoveField(model_name="delivery", name="address"),
    ]
