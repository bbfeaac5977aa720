from django.apps import AppConfig


class Open311Config(AppConfig):
    name = "open311"
    verbose_name = "Open311 合作系统接口"

    def ready(self):
        from open311 import actions

        actions.register()
