from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "门户与账户"

    def ready(self):
        from portal import navigation

        navigation.register_portal_items()
