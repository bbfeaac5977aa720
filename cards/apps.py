from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CardsConfig(AppConfig):
    name = "cards"
    verbose_name = "巴州优才卡"

    def ready(self):
        from django.urls import reverse

        from cards.views.talent import talent_home
        from portal import navigation
        from portal.models import Role

        navigation.register(_("我的优才卡"), "cards:home", [Role.TALENT], order=20)
        navigation.register(_("优才卡审核"), "cards:queue", [Role.ADMIN], order=20)
        navigation.register(_("优才卡登记簿"), "cards:cards", [Role.ADMIN], order=25)
        navigation.register(_("优才卡核验"), "cards:verify", [Role.VERIFIER], order=20)
        navigation.register_home(Role.TALENT, talent_home)
        navigation.register_home(Role.VERIFIER, lambda user: reverse("cards:verify"))

        # The audit log's names of this layer's actions, objects and details.
        from cards import actions

        actions.register()
        # The retention period of cards and their applications (portal.retention).
        from cards import retention

        retention.register_rules()
