from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from services.calendar import calendar_import, parse_calendar_csv
from services.recompute import recomputes_retry


class Command(BaseCommand):
    help = "导入管理员整理的工作日历 CSV（列：date,is_workday,note）。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV 文件路径（UTF-8）")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        try:
            rows = parse_calendar_csv(path.read_text(encoding="utf-8-sig"))
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from None
        except UnicodeDecodeError:
            raise CommandError("文件不是 UTF-8 编码，请另存为 UTF-8 后重试。") from None
        count = calendar_import(rows=rows)
        self.stdout.write(self.style.SUCCESS(f"已导入 {count} 天（{rows[0][0]} 起）。"))
        # At the shell the deadlines follow at once (not left to a worker).
        recomputes_retry(grace=timedelta(0), seconds=None)
        self.stdout.write("未办结申请的期限已按新日历重新计算。")
