from django.core.management.base import BaseCommand

from services.supervision import sla_sweep


class Command(BaseCommand):
    help = "立即执行一次时限督查（即将超期、已超期、督办提醒），与定时任务相同。"

    def handle(self, *args, **options):
        sent = sla_sweep()
        self.stdout.write(f"督查完成：发出 {sent} 条提醒。")
