from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cards.seed import seed_criteria
from portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo_accounts
from portal.seed import registered_seeds, seed_departments
from services.calendar import calendar_sync, official_years
from services.demo import seed_demo_card, seed_demo_requests
from services.models import CalendarDay
from services.seed import seed_service_types


class Command(BaseCommand):
    # Lives in the top layer because it loads every layer's reference data.
    help = "载入部门等基础数据和演示账户（可重复执行）。演示账户仅在 DEBUG 或 --force 时创建。"

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="在 DEBUG 关闭时也创建演示账户")
        parser.add_argument("--no-accounts", action="store_true", help="只载入基础数据")

    def handle(self, *args, **options):
        created = seed_departments()
        self.stdout.write(f"部门：新增 {created} 个，共 8 个。")
        self.stdout.write(f"优才卡认定条件：新增 {seed_criteria()} 项。")
        self.stdout.write(f"绿色通道服务事项：新增 {seed_service_types()} 项。")
        for year in (y for y in official_years() if y >= 2024):
            if not CalendarDay.objects.filter(date__year=year).exists():
                calendar_sync(year=year)
                self.stdout.write(f"工作日历：已载入 {year} 年国务院放假安排。")
        for reference, _demo in registered_seeds().values():
            if line := reference():
                self.stdout.write(line)
        if options["no_accounts"]:
            return
        if not (settings.DEBUG or options["force"]):
            raise CommandError("DEBUG 已关闭：生产环境不创建演示账户。确需创建请加 --force。")
        new = seed_demo_accounts()
        self.stdout.write(f"演示账户：新增 {len(new)} 个（密码均为 {DEMO_PASSWORD}）：")
        for username, role, dept, *_ in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<16} {role:<9} {dept or ''}")
        number = seed_demo_card()
        if number:
            self.stdout.write(f"演示人才 demo_talent 已获发优才卡 {number}（C类）。")
        numbers = seed_demo_requests()
        if numbers:
            self.stdout.write(
                f"演示服务申请：新增 {len(numbers)} 件（各承办部门的待受理、办理中、待补正、"
                f"已办结和超期督办各有示例）：{'、'.join(numbers)}。"
            )
        for _reference, demo in registered_seeds().values():
            if demo is not None and (line := demo()):
                self.stdout.write(line)
