from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "open311"
    verbose_name = "Open311 合作系统接口"

    def ready(self):
        from open311 import actions
        from portal import navigation
        from portal.models import Role

        navigation.register(_("合作系统"), "open311:partners", [Role.ADMIN], order=86)
        actions.register()
