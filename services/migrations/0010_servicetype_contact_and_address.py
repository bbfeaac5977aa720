"""办事指南 facts as catalogue data: a 咨询电话 and a 办理地点 per service type, filled in for the
seven seed types of a database seeded before they existed (only where still empty: an admin's
entry is kept). The calendar's sources and editor get Chinese names for the admin."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The seed values (services.seed.SERVICE_TYPES), copied so that this migration keeps working
# whatever the seed module becomes.
SEED_CONTACTS = {
    "SCHOOL": ("0827-5267016", "巴中市巴州区江北大道中段区教育科技局一楼 招生服务窗口"),
    "HOUSING": (
        "0827-5222935",
        "巴中市巴州区政务服务中心二楼 住房和城乡建设局窗口（江北大道西段8号）",
    ),
    "MEDICAL": (
        "0827-5268120",
        "巴州区人民医院门诊楼一楼 人才就医服务窗口（巴中市巴州区江北大道西段）",
    ),
    "SPOUSE_JOB": ("0827-5256216", "巴中市巴州区人力资源市场一楼 就业服务窗口（巴州区回风大道）"),
    "SUBSIDY": (
        "0827-5256218",
        "巴中市巴州区政务服务中心二楼 人力资源和社会保障局窗口（江北大道西段8号）",
    ),
    "GOV_AGENT": ("0827-5250101", "巴中市巴州区政务服务中心一楼 人才服务专窗（江北大道西段8号）"),
    "HUKOU": ("0827-5238110", "巴中市巴州区政务服务中心一楼 公安户政窗口（江北大道西段8号）"),
}


def fill_seed_contacts(apps, schema_editor):
    ServiceType = apps.get_model("services", "ServiceType")
    for code, (phone, address) in SEED_CONTACTS.items():
        ServiceType.objects.filter(code=code, contact_phone="").update(contact_phone=phone)
        ServiceType.objects.filter(code=code, address="").update(address=address)


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0009_snapshot_limits"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="servicetype",
            name="contact_phone",
            field=models.CharField(
                blank=True,
                help_text="如 0827-5222001（工作日 9:00–17:00）",
                max_length=40,
                verbose_name="咨询电话",
            ),
        ),
        migrations.AddField(
            model_name="servicetype",
            name="address",
            field=models.CharField(
                blank=True,
                help_text="线下办理或提交材料的地址、窗口",
                max_length=200,
                verbose_name="办理地点",
            ),
        ),
        migrations.AlterField(
            model_name="calendarday",
            name="source",
            field=models.CharField(
                choices=[
                    ("official", "国务院放假安排（自动载入）"),
                    ("import", "管理员导入"),
                    ("admin", "管理员修改"),
                ],
                max_length=10,
                verbose_name="来源",
            ),
        ),
        migrations.AlterField(
            model_name="calendarday",
            name="updated_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="修改人",
            ),
        ),
        migrations.RunPython(fill_seed_contacts, migrations.RunPython.noop),
    ]
