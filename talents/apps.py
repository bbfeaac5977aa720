from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TalentsConfig(AppConfig):
    name = "talents"
    verbose_name = "人才信息库与联系服务"

    def ready(self):
        from cards.hooks import on_card_changed, on_card_granted
        from portal import navigation, sweep
        from portal.models import Role
        from portal.seed import register_seed
        from services.recompute import register_stage
        from talents import actions, listeners, recompute
        from talents.supervision import visit_sweep_tally

        # The profile follows the card (tier, standing, the granting application's facts).
        on_card_granted("talents", listeners.on_granted)
        on_card_changed("talents", listeners.on_changed)
        # The 人才办's card page shows the holder's profile and liaison (cards.hooks).
        from cards.hooks import register_card_section
        from talents.card_section import card_section

        register_card_section("talents", card_section)
        # Visit reminders and escalations, in the one supervision sweep.
        sweep.register("talents", visit_sweep_tally)
        # A calendar correction moves the visit clocks too.
        register_stage(
            "liaisons",
            candidates=recompute.liaison_candidates,
            batches=recompute.liaison_batches,
        )
        actions.register()
        # 人才信息和联系服务记录's retention period (portal.retention).
        from talents import retention

        retention.register_rules()

        def demo() -> str:
            from talents.demo import seed_demo_talents

            return seed_demo_talents()

        register_seed("talents", reference=lambda: "", demo=demo)
        navigation.register(_("人才信息"), "talents:my-profile", [Role.TALENT], order=46)
        navigation.register(
            _("联系服务"), "talents:liaisons", [Role.STAFF, Role.LEAD, Role.ADMIN], order=47
        )
        navigation.register(_("人才画像"), "talents:portrait", [Role.ADMIN], order=48)
