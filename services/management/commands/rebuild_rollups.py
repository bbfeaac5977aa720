"""Recompute the daily rollups of the supervision figures from the raw rows (after a bulk
load, or to repair them); ``--check`` only reports cells that differ."""

from django.core.management.base import BaseCommand, CommandError

from services import rollups


class Command(BaseCommand):
    help = "从原始数据重新计算督办统计的日汇总（--check：只核对，不修改）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="只核对日汇总与原始数据是否一致，不修改"
        )

    def handle(self, *args, check=False, **options):
        if check:
            wrong = rollups.drift()
            if wrong:
                for key, delta in sorted(wrong.items(), key=str)[:20]:
                    self.stderr.write(f"{key}: {delta}")
                raise CommandError(f"日汇总与原始数据不一致：{len(wrong)} 个单元格。")
            self.stdout.write("日汇总与原始数据一致。")
            return
        counts = rollups.rebuild(progress=lambda text: self.stdout.write(text))
        self.stdout.write(
            f"已重新计算日汇总：申请 {counts['request_days']} 行，承办 {counts['stint_days']} 行。"
        )
