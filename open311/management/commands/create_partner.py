from django.core.management.base import BaseCommand, CommandError

from open311.keys import partner_create
from open311.models import Partner, Scope


class Command(BaseCommand):
    help = (
        "登记一个 Open311 合作系统并打印其密钥（只显示这一次，平台只保存摘要）。"
        "--scope read 只读，file 可提交申请。"
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="合作系统名称")
        parser.add_argument("--scope", choices=Scope.values, default=Scope.READ)
        parser.add_argument("--contact", default="", help="联系人和联系方式")
        parser.add_argument("--rate-limit", type=int, default=60, help="每分钟调用上限")

    def handle(self, *args, **options):
        name = options["name"].strip()
        if not name:
            raise CommandError("请提供合作系统名称。")
        if Partner.objects.filter(name=name).exists():
            raise CommandError(f"合作系统“{name}”已登记。")
        if options["rate_limit"] < 1:
            raise CommandError("每分钟调用上限应为正整数。")
        partner, key = partner_create(
            name=name,
            contact=options["contact"],
            scope=options["scope"],
            rate_limit=options["rate_limit"],
        )
        self.stdout.write(f"已登记合作系统“{partner.name}”（{partner.get_scope_display()}）。")
        self.stdout.write("密钥（只显示这一次，请妥善保存）：")
        self.stdout.write(key)
