"""Seed catalogue of green-channel services (DESIGN.md "Green-channel requests").

The organization department edits it in the admin; ``seed_service_types`` adds what is missing
and never overwrites an admin's edits.
"""

from portal.models import Department
from services.models import Datatype, Sensitivity, ServiceType
from services.seed_english import fill_english


def _f(code, label, datatype, required=False, values=None):
    field = {"code": code, "label": label, "datatype": str(datatype), "required": required}
    if values:
        field["values"] = values
    return field


def _m(name, required=True):
    return {"name": name, "required": required}


GRADES = [
    *["幼儿园小班", "幼儿园中班", "幼儿园大班"],
    *[f"小学{n}年级" for n in "一二三四五六"],
    *[f"初中{n}年级" for n in "一二三"],
    *[f"高中{n}年级" for n in "一二三"],
]
EDUCATION = ["高中及以下", "大专", "本科", "硕士研究生", "博士研究生"]

SERVICE_TYPES = [
    {
        "code": "SCHOOL",
        "name": "子女入学",
        "department": "JYJ",
        "eligible_tiers": "ABCD",
        "sensitivity": Sensitivity.MINOR,
        "promised_days": 10,
        "contact_phone": "0827-5267016",
        "address": "巴中市巴州区江北大道中段区教育科技局一楼 招生服务窗口",
        "legal_days": None,
        "guide": (
            "持卡人才的子女（含随迁子女）需在巴州区内入学、转学或插班的，由区教育科技局统筹协调，"
            "在尊重意愿的前提下就近安排公办学校（幼儿园）学位。\n"
            "办理流程：在线提交申请 → 区教育科技局受理 → 与意向学校协调 → 书面告知安排结果。\n"
            "本事项涉及未成年人个人信息，须由监护人同意后提交。"
        ),
        "materials": [
            _m("巴州优才卡（系统自动核验）"),
            _m("子女出生医学证明或户口簿"),
            _m("监护人身份证件"),
            _m("转学、插班的提供原学校学籍证明", required=False),
            _m("居住证明（房产证或租赁合同）", required=False),
        ],
        "fields": [
            _f("child_name", "子女姓名", Datatype.STRING, True),
            _f("child_birth_date", "子女出生日期", Datatype.DATE, True),
            _f("request_kind", "申请类别", Datatype.SINGLE, True, ["新生入学", "转学", "插班"]),
            _f("grade", "入学年级", Datatype.SINGLE, True, GRADES),
            _f("preferred_school", "意向学校", Datatype.STRING),
            _f("current_school", "现就读学校（转学、插班时填写）", Datatype.STRING),
            _f("living_in_bazhou", "子女是否已随迁在巴州区居住", Datatype.BOOLEAN, True),
        ],
    },
    {
        "code": "HOUSING",
        "name": "人才公寓",
        "department": "ZJJ",
        "eligible_tiers": "ABCD",
        "sensitivity": Sensitivity.NONE,
        "promised_days": 15,
        "contact_phone": "0827-5222935",
        "address": "巴中市巴州区政务服务中心二楼 住房和城乡建设局窗口（江北大道西段8号）",
        "legal_days": None,
        "guide": (
            "在巴州区工作且本人及配偶在区内无自有住房的持卡人才，可申请入住人才公寓。"
            "A、B类人才可优先选房；入住期间按规定缴纳租金和物业费。\n"
            "办理流程：在线提交申请 → 区住房和城乡建设局受理 → 核查住房情况 → 配租 → 签订入住协议。"
        ),
        "materials": [
            _m("巴州优才卡（系统自动核验）"),
            _m("劳动合同或聘用证明"),
            _m("本人及配偶在巴州区无自有住房的承诺书"),
            _m("共同居住家庭成员身份证明", required=False),
        ],
        "fields": [
            _f("family_size", "入住人数", Datatype.NUMBER, True),
            _f(
                "room_type", "意向户型", Datatype.SINGLE, True, ["一室一厅", "两室一厅", "三室一厅"]
            ),
            _f("move_in_date", "期望入住日期", Datatype.DATE, True),
            _f(
                "current_housing",
                "目前居住情况",
                Datatype.SINGLE,
                True,
                ["租房", "单位宿舍", "亲友处借住", "其他"],
            ),
            _f("no_own_house", "本人及配偶在巴州区无自有住房", Datatype.BOOLEAN, True),
            _f("remarks", "其他需求", Datatype.TEXT),
        ],
    },
    {
        "code": "MEDICAL",
        "name": "医疗保健（体检/就医绿色通道/家庭医生）",
        "department": "WJJ",
        "eligible_tiers": "ABC",
        "sensitivity": Sensitivity.MEDICAL,
        "promised_days": 3,
        "contact_phone": "0827-5268120",
        "address": "巴州区人民医院门诊楼一楼 人才就医服务窗口（巴中市巴州区江北大道西段）",
        "legal_days": None,
        "guide": (
            "A、B、C类持卡人才可享受年度健康体检、就医绿色通道（预约挂号、优先就诊）和家庭医生签约服务，"
            "由区卫生健康局协调区内医疗机构办理。\n"
            "本事项涉及医疗健康等敏感个人信息，提交前须本人单独同意；相关信息仅承办部门可见。"
        ),
        "materials": [_m("巴州优才卡（系统自动核验）"), _m("本人身份证件")],
        "fields": [
            _f(
                "service",
                "服务项目",
                Datatype.SINGLE,
                True,
                ["年度健康体检", "就医绿色通道", "家庭医生签约"],
            ),
            _f(
                "hospital",
                "意向医疗机构",
                Datatype.SINGLE,
                True,
                ["巴中市中心医院", "巴州区人民医院", "巴州区中医医院"],
            ),
            _f("preferred_date", "期望日期", Datatype.DATE),
            _f("notes", "需要说明的健康情况", Datatype.TEXT),
        ],
    },
    {
        "code": "SPOUSE_JOB",
        "name": "配偶就业",
        "department": "RSJ",
        "eligible_tiers": "ABC",
        "sensitivity": Sensitivity.NONE,
        "promised_days": 20,
        "contact_phone": "0827-5256216",
        "address": "巴中市巴州区人力资源市场一楼 就业服务窗口（巴州区回风大道）",
        "legal_days": None,
        "guide": (
            "A、B、C类持卡人才的随迁配偶有就业意愿的，由区人力资源和社会保障局根据其学历、专业和原从业情况，"
            "协调推荐适合岗位；原为机关事业单位在编人员的，按有关规定办理。"
        ),
        "materials": [
            _m("巴州优才卡（系统自动核验）"),
            _m("结婚证"),
            _m("配偶身份证件"),
            _m("配偶学历学位证书"),
            _m("配偶原工作单位证明", required=False),
        ],
        "fields": [
            _f("spouse_name", "配偶姓名", Datatype.STRING, True),
            _f("spouse_education", "配偶最高学历", Datatype.SINGLE, True, EDUCATION),
            _f("previous_job", "配偶原工作单位及岗位", Datatype.STRING),
            _f("was_civil_servant", "配偶原为机关事业单位在编人员", Datatype.BOOLEAN, True),
            _f(
                "desired_fields",
                "意向行业",
                Datatype.MULTI,
                True,
                ["教育", "医疗卫生", "机关事业单位", "国有企业", "民营企业", "其他"],
            ),
        ],
    },
    {
        "code": "SUBSIDY",
        "name": "津补贴/安家补助兑现",
        "department": "RSJ",
        "eligible_tiers": "ABCD",
        "sensitivity": Sensitivity.NONE,
        "promised_days": 20,
        "contact_phone": "0827-5256218",
        "address": "巴中市巴州区政务服务中心二楼 人力资源和社会保障局窗口（江北大道西段8号）",
        "legal_days": None,
        "guide": (
            "符合条件的持卡人才申领安家补助、工作补贴、购房补贴等，由区人力资源和社会保障局审核，"
            "审核通过后由区财政局拨付至本人银行账户。收款账户信息由经办人线下核对，平台只记录开户银行。"
        ),
        "materials": [
            _m("巴州优才卡（系统自动核验）"),
            _m("劳动合同或聘用证明"),
            _m("社会保险缴纳证明"),
            _m("本人银行卡（线下核对）"),
            _m("购房合同（申领购房补贴时）", required=False),
        ],
        "fields": [
            _f(
                "subsidy_type",
                "补贴类别",
                Datatype.SINGLE,
                True,
                ["安家补助", "工作补贴", "购房补贴", "生活补贴"],
            ),
            _f("amount", "申领金额（元）", Datatype.NUMBER, True),
            _f("period", "申领期间", Datatype.STRING, True),
            _f("bank_name", "开户银行", Datatype.STRING, True),
        ],
    },
    {
        "code": "GOV_AGENT",
        "name": "政务服务代办",
        "department": "ZWJ",
        "eligible_tiers": "ABCD",
        "sensitivity": Sensitivity.NONE,
        "promised_days": 5,
        "contact_phone": "0827-5250101",
        "address": "巴中市巴州区政务服务中心一楼 人才服务专窗（江北大道西段8号）",
        "legal_days": None,
        "guide": (
            "持卡人才在巴州区办理政务服务事项（证照办理、企业开办、社保医保、不动产登记等），"
            "可申请由区政务服务和大数据管理局安排专人帮办代办，减少跑腿。"
        ),
        "materials": [
            _m("巴州优才卡（系统自动核验）"),
            _m("所代办事项的申请材料（以该事项办事指南为准）"),
        ],
        "fields": [
            _f("matter", "代办事项名称", Datatype.STRING, True),
            _f(
                "category",
                "事项类别",
                Datatype.SINGLE,
                True,
                ["证照办理", "企业开办", "社保医保", "不动产登记", "其他"],
            ),
            _f("contact_time", "方便联系的时间", Datatype.STRING),
            _f("details", "具体需求", Datatype.TEXT, True),
        ],
    },
    {
        "code": "HUKOU",
        "name": "户籍迁移",
        "department": "GAJ",
        "eligible_tiers": "ABCD",
        "sensitivity": Sensitivity.NONE,
        "promised_days": 5,
        "contact_phone": "0827-5238110",
        "address": "巴中市巴州区政务服务中心一楼 公安户政窗口（江北大道西段8号）",
        "legal_days": None,
        "guide": (
            "持卡人才本人及其配偶、子女、父母申请将户口迁入巴州区的，由巴中市公安局巴州区分局办理，"
            "不受购房、居住年限等条件限制。"
        ),
        "materials": [
            _m("巴州优才卡（系统自动核验）"),
            _m("迁移人员户口簿"),
            _m("迁移人员身份证件"),
            _m("结婚证、出生医学证明等亲属关系证明（随迁时）", required=False),
        ],
        "fields": [
            _f(
                "move_type",
                "迁移类别",
                Datatype.SINGLE,
                True,
                ["本人迁入", "随迁配偶", "随迁子女", "随迁父母"],
            ),
            _f("persons", "迁移人数", Datatype.NUMBER, True),
            _f("from_address", "迁出地", Datatype.STRING, True),
            _f("to_address", "迁入地址", Datatype.STRING, True),
        ],
    },
]


def seed_service_types() -> int:
    """Create the seed service types that do not exist yet; return how many were created.
    Existing seed types get their English (services.seed_english) where it is missing."""
    departments = {d.code: d for d in Department.objects.all()}
    created = 0
    for order, spec in enumerate(SERVICE_TYPES):
        defaults = {k: v for k, v in spec.items() if k not in {"code", "department"}}
        defaults["department"] = departments[spec["department"]]
        defaults["sort_order"] = order
        service_type, was_created = ServiceType.objects.get_or_create(
            code=spec["code"], defaults=defaults
        )
        created += was_created
        if fill_english(service_type):
            # An UPDATE, not save(): filling in English changes nothing an admin decided (a
            # type of a department deactivated meanwhile is not re-checked here).
            ServiceType.objects.filter(pk=service_type.pk).update(
                name_en=service_type.name_en,
                guide_en=service_type.guide_en,
                materials=service_type.materials,
                fields=service_type.fields,
            )
    return created
