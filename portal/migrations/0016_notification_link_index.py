# The retention job finds the inbox messages about a request by their link
# (services.retention): an index on it.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("portal", "0015_retention")]

    operations = [
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["link"], name="notification_link_idx"),
        ),
    ]
