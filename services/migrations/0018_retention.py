# The retention job (services.retention): when a request's personal details were erased, and
# the requests not yet erased indexed by the day they ended.

import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("services", "0017_english_names")]

    operations = [
        migrations.AddField(
            model_name="servicerequest",
            name="erased_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="个人信息删除时间"),
        ),
        migrations.AddIndex(
            model_name="servicerequest",
            index=models.Index(
                django.db.models.functions.comparison.Coalesce(
                    "resolved_at", "rejected_at", "withdrawn_at", "closed_at"
                ),
                condition=models.Q(("erased_at__isnull", True)),
                name="servicerequest_retention_idx",
            ),
        ),
    ]
