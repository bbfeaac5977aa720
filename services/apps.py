from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = "绿色通道服务"

    def ready(self):
        from cards.hooks import set_tier_services_provider
        from portal.audit import ACTION_LABELS
        from services import signals  # noqa: F401  (connects on import)
        from services.models import ServiceType

        # The card's QR verification answers with the services the holder's tier unlocks.
        set_tier_services_provider(
            lambda tier: list(ServiceType.objects.for_tier(tier).values_list("name", flat=True))
        )
        ACTION_LABELS.update(
            {
                "service_type.create": "新增服务事项",
                "service_type.change": "修改服务事项",
                "service_type.deactivate": "停用服务事项",
                "calendar.sync": "载入法定节假日安排",
                "calendar.import": "导入工作日历",
                "calendar.change": "修改工作日历",
            }
        )
