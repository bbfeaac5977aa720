from django.apps import AppConfig


class Open311Config(AppConfig):
    name = "open311"
    verbose_name = "Open311 合作系统接口"

    def ready(self):
        from open311 import actions
        from portal import navigation
        from portal.models import Role

        # Staff-only: a Chinese literal, like the 人才办's other admin pages.
        navigation.register("合作系统", "open311:partners", [Role.ADMIN], order=86)
        actions.register()
