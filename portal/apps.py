from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "门户与账户"

    def ready(self):
        from portal import navigation, signals  # noqa: F401  (signals connect on import)

        navigation.register_portal_items()
