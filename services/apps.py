from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = "绿色通道服务"

    def ready(self):
        from django.urls import reverse

        from cards.hooks import set_tier_services_provider
        from portal import banners, navigation, todo
        from portal.models import Role
        from services import rollups, signals  # noqa: F401  (connect on import)
        from services.models import ServiceType

        # The card's QR verification answers with the services the holder's tier unlocks, in
        # the verifier's language (the English name where the type has one).
        def tier_services(tier: str) -> list[str]:
            from portal.localized import english_active

            rows = ServiceType.objects.for_tier(tier).values_list("name", "name_en")
            return [(english_active() and name_en) or name for name, name_en in rows]

        set_tier_services_provider(tier_services)
        # Card reviews count their limit (审核时限) on this layer's working-day calendar.
        from cards.hooks import WorkingDayClock, set_working_day_clock
        from services import workdays
        from services.clocks import ESCALATE_AFTER_DAYS

        set_working_day_clock(
            WorkingDayClock(
                add_working_days=workdays.add_working_days,
                working_days_between=workdays.working_days_between,
                end_of_day=workdays.end_of_day,
                local_date=workdays.local_date,
                escalate_after_days=ESCALATE_AFTER_DAYS,
            )
        )
        # The catalogue is public; the rest by role (pages: services/views/).
        navigation.register(
            _("服务事项"), "services:catalogue", [*Role.values, navigation.ANONYMOUS], order=30
        )
        navigation.register(_("我的申请"), "services:requests", [Role.TALENT], order=40)
        for role, url_name in (
            (Role.STAFF, "services:desk"),
            (Role.LEAD, "services:desk"),
            (Role.ADMIN, "services:dashboard"),
        ):
            navigation.register_home(role, lambda user, name=url_name: reverse(name))
        navigation.register(_("办件工作台"), "services:desk", [Role.STAFF, Role.LEAD], order=40)
        navigation.register(_("全部申请"), "services:manage", [Role.ADMIN], order=40)
        navigation.register(_("督查看板"), "services:dashboard", [Role.ADMIN, Role.LEAD], order=50)
        navigation.register(
            _("督办清单"), "services:supervision", [Role.ADMIN, Role.LEAD], order=55
        )
        navigation.register(_("工作日历"), "services:calendar", [Role.ADMIN, Role.STAFF], order=60)
        # The home page lists every active service, each linking to its 办事指南.
        from portal import home
        from services.views.catalogue import home_items

        home.register(
            _("绿色通道服务"),
            home_items,
            note=_(
                "可享受的服务与人才类别相关，具体以各服务事项的办事指南为准。办理时限按法定工作日"
                "计算，节假日顺延、调休上班日照常计算。"
            ),
        )
        # Admins are warned on every page while the coming 90 days are not all verified.
        from services.views.calendar_banner import calendar_banner

        banners.register(calendar_banner)
        # Staff and leads see in the header how many requests wait for them (待办).
        from services.todo import desk_todo

        todo.register(desk_todo)
        # The audit log's names of this layer's actions, objects and details.
        from services import actions

        actions.register()
        # The background exports' kinds (portal.jobs runs them: POST /api/v1/exports/).
        from services import exports

        exports.register()
        # The retention periods of requests and their sensitive details (portal.retention).
        from services import retention

        retention.register_rules()
