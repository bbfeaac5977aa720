"""Which stints ended in a transfer (the stint after them began when they ended), then the
daily rollups computed from the rows already there."""

from django.db import migrations
from django.db.models import Exists, OuterRef


def mark_transfers(apps, schema_editor):
    DepartmentStint = apps.get_model("services", "DepartmentStint")
    later = DepartmentStint.objects.filter(
        request_id=OuterRef("request_id"), entered_at__gte=OuterRef("left_at")
    ).exclude(pk=OuterRef("pk"))
    DepartmentStint.objects.filter(left_at__isnull=False).filter(Exists(later)).update(
        transferred_out=True
    )


def build_rollups(apps, schema_editor):
    ServiceRequest = apps.get_model("services", "ServiceRequest")
    if not ServiceRequest.objects.exists():
        return
    # The rebuild reads only columns that exist at this point (see services.rollups).
    from services.rollups import rebuild

    rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0013_rollups_and_list_indexes"),
    ]

    operations = [
        migrations.RunPython(mark_transfers, migrations.RunPython.noop),
        migrations.RunPython(build_rollups, migrations.RunPython.noop),
    ]
