from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal.accounts import account_create
from portal.models import Role


class Command(BaseCommand):
    help = (
        "创建任意角色的账户（经办人、部门负责人须指定部门）。管理员、审计员账户只能这样创建"
        "（三权分立）。未给出密码时生成随机初始密码并显示一次，首次登录须修改。"
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--department", help="部门代码，如 ZJJ")
        parser.add_argument("--password", help="初始密码；省略则随机生成")
        parser.add_argument(
            "--real-name", default="", help="真实姓名（人才以外的角色必填：人才看到的经办人姓名）"
        )

    def handle(self, *args, **options):
        try:
            user, generated = account_create(
                username=options["username"],
                role=options["role"],
                department_code=options["department"],
                password=options["password"],
                real_name=options["real_name"],
            )
        except ValidationError as exc:
            lines = [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
            raise CommandError("\n".join(lines)) from None
        dept = f"，部门 {user.department.code}" if user.department else ""
        self.stdout.write(
            self.style.SUCCESS(f"已创建账户 {user.username}（{user.get_role_display()}{dept}）。")
        )
        if generated:
            self.stdout.write("首次登录时须修改密码。")
            self.stdout.write(f"初始密码（仅显示一次）：{generated}")
