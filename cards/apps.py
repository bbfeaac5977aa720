from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "cards"
    verbose_name = "巴州优才卡"

    def ready(self):
        from django.urls import reverse

        from cards.views.talent import talent_home
        from portal import navigation
        from portal.audit import ACTION_LABELS
        from portal.models import Role

        navigation.register("我的优才卡", "cards:home", [Role.TALENT], order=20)
        navigation.register("优才卡审核", "cards:queue", [Role.ADMIN], order=20)
        navigation.register("优才卡登记簿", "cards:cards", [Role.ADMIN], order=25)
        navigation.register("优才卡核验", "cards:verify", [Role.VERIFIER], order=20)
        navigation.register_home(Role.TALENT, talent_home)
        navigation.register_home(Role.VERIFIER, lambda user: reverse("cards:verify"))

        ACTION_LABELS.update(
            {
                "card_application.create": "新建优才卡申请",
                "card_application.update": "修改优才卡申请",
                "card_application.document_add": "上传申请材料",
                "card_application.document_remove": "删除申请材料",
                "card_application.submitted": "提交优才卡申请",
                "card_application.resubmitted": "补正后重新提交",
                "card_application.return": "退回补正",
                "card_application.approve": "认定通过",
                "card_application.reject": "不予认定",
                "card.issue": "发放优才卡",
                "card.renew": "优才卡续期",
                "card.change": "优才卡信息变更",
                "card.suspended": "暂停优才卡",
                "card.revoked": "注销优才卡",
                "card.reinstated": "恢复优才卡",
                "criterion.create": "新增认定条件",
                "criterion.change": "修改认定条件",
            }
        )
