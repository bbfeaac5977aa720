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
        # Visit reminders and escalations, in the one supervision sweep.
        sweep.register("talents", visit_sweep_tally)
        # A calendar correction moves the visit clocks too.
        register_stage(
            "liaisons",
            candidates=recompute.liaison_candidates,
            batches=recompute.liaison_batches,
        )
        actions.register()

        def demo() -> str:
            from talents.demo import seed_demo_talents

            return seed_demo_talents()

        register_seed("talents", reference=lambda: "", demo=demo)
        navigation.register(_("人才信息"), "talents:my-profile", [Role.TALENT], order=46)
        navigation.register(
            _("联系服务"), "talents:liaisons", [Role.STAFF, Role.LEAD, Role.ADMIN], order=47
        )
        navigation.register(_("人才画像"), "talents:portrait", [Role.ADMIN], order=48)
