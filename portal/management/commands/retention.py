from django.core.management.base import BaseCommand

from portal import retention


class Command(BaseCommand):
    help = (
        "按《个人信息处理规则》的保存期限删除或匿名化到期的个人信息（每晚 03:10 自动执行）；"
        "每条规则一行：到期数、已处理数、失败数。--dry-run 只统计，不作任何修改。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计到期条数，不修改")

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        outcomes = retention.run(dry_run=dry_run)
        for one in outcomes:
            rule = one.rule
            if dry_run:
                line = f"{rule.name}\t{rule.label}（{rule.period.label}）\t到期 {one.due}"
            else:
                line = (
                    f"{rule.name}\t{rule.label}（{rule.period.label}）\t到期 {one.due}\t"
                    f"已处理 {one.handled}\t失败 {len(one.failed)}"
                )
            self.stdout.write(line)
        if any(one.failed for one in outcomes):
            self.stderr.write("有条目处理失败（见日志），下次运行时重试。")
