from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "门户与账户"

    def ready(self):
        from portal import navigation, signals  # noqa: F401  (signals connect on import)
        from portal.api import schema  # noqa: F401  (registers the schema extensions)

        navigation.register_portal_items()
        # The audit log's names of portal's objects and details (actions: portal.audit).
        from portal.auditlog import register_portal

        register_portal()
        # The retention periods of the privacy texts (the audit log, the access log).
        from portal import retention

        retention.register_portal()
