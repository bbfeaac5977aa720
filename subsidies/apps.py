from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubsidiesConfig(AppConfig):
    name = "subsidies"
    verbose_name = "政策直达快享"

    def ready(self):
        from cards.hooks import on_card_granted
        from portal import navigation, sweep
        from portal.models import Role
        from subsidies import actions
        from subsidies.offers import offer_on_card_granted
        from subsidies.supervision import subsidy_sweep_tally

        # 政策直达: a card issued, renewed or changed offers what it entitles its holder to.
        on_card_granted("subsidies", offer_on_card_granted)
        # Reviews and payments on working-day clocks, in the one supervision sweep.
        sweep.register("subsidies", subsidy_sweep_tally)
        # 政策兑现 on the 督查看板 and GET /api/v1/sla/summary/?group_by=policy.
        from services import dashboard_sections
        from subsidies import api_supervision, figures

        dashboard_sections.register_section("subsidies", figures.dashboard_section)
        api_supervision.register()
        # A calendar correction moves their deadlines too (stages of services.recompute).
        from services.recompute import register_stage
        from subsidies import recompute

        register_stage(
            "entitlements",
            candidates=recompute.review_candidates,
            batches=recompute.review_batches,
        )
        register_stage(
            "instalments",
            candidates=recompute.instalment_candidates,
            batches=recompute.instalment_batches,
        )
        actions.register()
        # The bank accounts' retention period (portal.retention).
        from subsidies import retention

        retention.register_rules()
        # seed_demo loads the policies, then offers the demo talent's card what it entitles.
        from portal.seed import register_seed

        def reference() -> str:
            from subsidies.seed import seed_policies

            return f"兑现政策：新增 {seed_policies()} 项。"

        def demo() -> str:
            from subsidies.demo import seed_demo_entitlements

            return seed_demo_entitlements()

        register_seed("subsidies", reference=reference, demo=demo)
        navigation.register(_("我的待遇"), "subsidies:mine", [Role.TALENT], order=45)
        navigation.register(_("待遇兑现"), "subsidies:desk", [Role.STAFF, Role.LEAD], order=45)
        navigation.register(_("政策兑现"), "subsidies:manage", [Role.ADMIN], order=45)
