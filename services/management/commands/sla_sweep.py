from django.core.management.base import BaseCommand

from services.supervision import sla_sweep_tally


class Command(BaseCommand):
    help = "立即执行一次时限督查（即将超期、已超期、督办提醒），与定时任务相同。"

    def handle(self, *args, **options):
        tally = sla_sweep_tally()
        self.stdout.write(f"督查完成：发出 {tally.sent} 条提醒。")
        if tally.failed:
            self.stdout.write(
                f"有 {tally.failed} 件未能处理（原因见日志），一小时后自动重试，其余已照常督查。"
            )
