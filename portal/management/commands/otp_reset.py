from django.core.management.base import BaseCommand, CommandError

from portal.models import User
from portal.otp import otp_reset


class Command(BaseCommand):
    help = (
        "清除账户的双因素认证（身份验证器和恢复码），用于手机丢失且恢复码用完的情况。"
        "该账户的角色要求双因素认证时，下次登录须重新绑定。"
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **options):
        user = User.objects.filter(username__iexact=options["username"]).first()
        if user is None:
            raise CommandError(f"账户 {options['username']} 不存在。")
        otp_reset(user=user)
        self.stdout.write(self.style.SUCCESS(f"已清除 {user.username} 的双因素认证。"))
