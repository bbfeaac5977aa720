from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from services.calendar import calendar_sync, official_years
from services.recompute import recomputes_retry


class Command(BaseCommand):
    help = "从 chinese-calendar 载入国务院放假安排（默认 2024 年至该包已知的最后一年）。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", help="年份，可重复指定")
        parser.add_argument(
            "--overwrite-admin", action="store_true", help="覆盖管理员手工修改过的日期"
        )

    def handle(self, *args, **options):
        known = official_years()
        years = options["year"] or [y for y in known if y >= 2024]
        for year in years:
            try:
                days = calendar_sync(year=year, overwrite_admin=options["overwrite_admin"])
            except ValidationError as exc:
                raise CommandError(exc.messages[0]) from None
            self.stdout.write(f"{year} 年：写入 {days} 天。")
        self.stdout.write(f"chinese-calendar 已知年份：{known.start}–{known.stop - 1}。")
        # At the shell the deadlines follow at once (a worker that took the task meanwhile
        # holds it, and this leaves it to the worker).
        recomputes_retry(grace=timedelta(0), seconds=None)
        self.stdout.write("未办结申请的期限已按新日历重新计算。")
