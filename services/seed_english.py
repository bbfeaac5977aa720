"""English names, guides, materials and form labels of the seed catalogue (issue 14: the
catalogue carries English as data). Kept apart from services.seed, keyed by the Chinese, so
that ``seed_service_types`` can fill them into rows an earlier seed created without them."""

# The labels of the choices a form offers, by their Chinese value (the value stored stays
# the Chinese one whatever language the talent files in).
_ORDINALS = dict(zip("一二三四五六", range(1, 7), strict=True))
VALUES_EN = {
    "幼儿园小班": "Kindergarten, junior class",
    "幼儿园中班": "Kindergarten, middle class",
    "幼儿园大班": "Kindergarten, senior class",
    **{f"小学{n}年级": f"Primary school, year {i}" for n, i in _ORDINALS.items()},
    **{f"初中{n}年级": f"Junior secondary school, year {_ORDINALS[n]}" for n in "一二三"},
    **{f"高中{n}年级": f"Senior secondary school, year {_ORDINALS[n]}" for n in "一二三"},
    "高中及以下": "Senior secondary school or below",
    "大专": "Junior college",
    "本科": "Bachelor's degree",
    "硕士研究生": "Master's degree",
    "博士研究生": "Doctorate",
    "新生入学": "First enrolment",
    "转学": "Transfer",
    "插班": "Mid-year place",
    "一室一厅": "One bedroom, one living room",
    "两室一厅": "Two bedrooms, one living room",
    "三室一厅": "Three bedrooms, one living room",
    "租房": "Renting",
    "单位宿舍": "Employer's dormitory",
    "亲友处借住": "Staying with family or friends",
    "其他": "Other",
    "年度健康体检": "Yearly health check-up",
    "就医绿色通道": "Fast-track hospital treatment",
    "家庭医生签约": "Family-doctor contract",
    "巴中市中心医院": "Bazhong Central Hospital",
    "巴州区人民医院": "Bazhou District People's Hospital",
    "巴州区中医医院": "Bazhou District Hospital of Traditional Chinese Medicine",
    "教育": "Education",
    "医疗卫生": "Health care",
    "机关事业单位": "Government agencies and public institutions",
    "国有企业": "State-owned enterprises",
    "民营企业": "Private enterprises",
    "安家补助": "Settling-in allowance",
    "工作补贴": "Work subsidy",
    "购房补贴": "Home-purchase subsidy",
    "生活补贴": "Living allowance",
    "证照办理": "Licences and certificates",
    "企业开办": "Starting a business",
    "社保医保": "Social and medical insurance",
    "不动产登记": "Property registration",
    "本人迁入": "Myself",
    "随迁配偶": "My spouse",
    "随迁子女": "My children",
    "随迁父母": "My parents",
}

# The materials' English names, by their Chinese name (several services share some).
MATERIALS_EN = {
    "巴州优才卡（系统自动核验）": "Bazhou Talent Card (checked by the system)",
    "子女出生医学证明或户口簿": (
        "The child's birth certificate or household register (hukou booklet)"
    ),
    "监护人身份证件": "The guardian's ID document",
    "转学、插班的提供原学校学籍证明": (
        "For a transfer or a mid-year place: the enrolment record from the current school"
    ),
    "居住证明（房产证或租赁合同）": (
        "Proof of residence (property certificate or tenancy agreement)"
    ),
    "劳动合同或聘用证明": "Employment contract or proof of employment",
    "本人及配偶在巴州区无自有住房的承诺书": (
        "A signed statement that you and your spouse own no home in Bazhou District"
    ),
    "共同居住家庭成员身份证明": "ID documents of the family members living with you",
    "本人身份证件": "Your ID document",
    "结婚证": "Marriage certificate",
    "配偶身份证件": "Your spouse's ID document",
    "配偶学历学位证书": "Your spouse's diploma and degree certificates",
    "配偶原工作单位证明": "A certificate from your spouse's previous employer",
    "社会保险缴纳证明": "Proof of social insurance contributions",
    "本人银行卡（线下核对）": "Your bank card (checked in person)",
    "购房合同（申领购房补贴时）": "Home purchase contract (for the home-purchase subsidy)",
    "所代办事项的申请材料（以该事项办事指南为准）": (
        "The application documents of the errand, as its own service guide lists them"
    ),
    "迁移人员户口簿": "Household register of everyone moving",
    "迁移人员身份证件": "ID documents of everyone moving",
    "结婚证、出生医学证明等亲属关系证明（随迁时）": (
        "Proof of the family relationship, such as a marriage or birth certificate "
        "(when family members move with you)"
    ),
}

# Per service type: its English name and guide, and its form fields' English labels by code.
SERVICE_TYPES_EN = {
    "SCHOOL": {
        "name_en": "Children's schooling",
        "guide_en": (
            "Children of card holders (including children who moved with them) who need a place "
            "in a school or kindergarten in Bazhou District, for a first enrolment, a transfer or "
            "a mid-year place, are placed by the District Bureau of Education, Science and "
            "Technology in a nearby public school or kindergarten, respecting the family's "
            "wishes.\n"
            "Steps: apply online → the bureau accepts → it arranges the place with the preferred "
            "school → you are told the placement in writing.\n"
            "This service involves a minor's personal information: a guardian must consent "
            "before it is filed."
        ),
        "labels_en": {
            "child_name": "Child's name",
            "child_birth_date": "Child's date of birth",
            "request_kind": "Type of request",
            "grade": "Grade",
            "preferred_school": "Preferred school",
            "current_school": "Current school (for a transfer or a mid-year place)",
            "living_in_bazhou": "The child already lives in Bazhou District",
        },
    },
    "HOUSING": {
        "name_en": "Talent apartment",
        "guide_en": (
            "Card holders who work in Bazhou District and who, with their spouse, own no home in "
            "the district may apply to live in a talent apartment. Tier A and B talents choose "
            "first; tenants pay rent and property fees under the rules.\n"
            "Steps: apply online → the District Bureau of Housing and Urban-Rural Development "
            "accepts → it checks your housing situation → an apartment is allocated → you sign "
            "the tenancy agreement."
        ),
        "labels_en": {
            "family_size": "Number of occupants",
            "room_type": "Preferred layout",
            "move_in_date": "Preferred move-in date",
            "current_housing": "Current housing",
            "no_own_house": "Neither I nor my spouse own a home in Bazhou District",
            "remarks": "Other needs",
        },
    },
    "MEDICAL": {
        "name_en": "Medical care (health check-up / fast-track treatment / family doctor)",
        "guide_en": (
            "Card holders of tiers A, B and C are entitled to a yearly health check-up, "
            "fast-track hospital treatment (booked appointments, priority consultation) and a "
            "family-doctor contract, arranged with the district's hospitals by the District "
            "Health Commission.\n"
            "This service involves sensitive personal information about your health: you give "
            "your separate consent before filing, and only the handling department sees it."
        ),
        "labels_en": {
            "service": "Service",
            "hospital": "Preferred hospital",
            "preferred_date": "Preferred date",
            "notes": "Health conditions we should know about",
        },
    },
    "SPOUSE_JOB": {
        "name_en": "Spouse's employment",
        "guide_en": (
            "When the spouse who moved with a card holder of tier A, B or C wants to work, the "
            "District Bureau of Human Resources and Social Security recommends suitable "
            "positions matching the spouse's education, field and previous work; a spouse who "
            "held an established post in a government agency or public institution is placed "
            "under the relevant rules."
        ),
        "labels_en": {
            "spouse_name": "Spouse's name",
            "spouse_education": "Spouse's highest education",
            "previous_job": "Spouse's previous employer and position",
            "was_civil_servant": (
                "The spouse held an established post in a government agency or public institution"
            ),
            "desired_fields": "Preferred sectors",
        },
    },
    "SUBSIDY": {
        "name_en": "Subsidies and settling-in allowance",
        "guide_en": (
            "Eligible card holders claim the settling-in allowance, the work subsidy, the "
            "home-purchase subsidy and similar payments here. The District Bureau of Human "
            "Resources and Social Security reviews the claim; once it is approved, the District "
            "Finance Bureau pays it into your own bank account. The handler checks the account "
            "in person; the portal records only the bank's name."
        ),
        "labels_en": {
            "subsidy_type": "Subsidy",
            "amount": "Amount claimed (yuan)",
            "period": "Period claimed",
            "bank_name": "Bank",
        },
    },
    "GOV_AGENT": {
        "name_en": "Government errands run for you",
        "guide_en": (
            "For government services in Bazhou District (licences and certificates, starting a "
            "business, social and medical insurance, property registration and more), card "
            "holders may ask the District Bureau of Government Services and Big Data for "
            "someone who helps with the errand or runs it for them, saving trips."
        ),
        "labels_en": {
            "matter": "Errand",
            "category": "Kind of errand",
            "contact_time": "When we can best reach you",
            "details": "What you need",
        },
    },
    "HUKOU": {
        "name_en": "Household registration transfer",
        "guide_en": (
            "Card holders who move their household registration (hukou), or that of their "
            "spouse, children or parents, to Bazhou District apply to the Bazhou District Branch "
            "of the Bazhong Public Security Bureau, whatever their home ownership or years of "
            "residence."
        ),
        "labels_en": {
            "move_type": "Who is moving",
            "persons": "Number of persons",
            "from_address": "Moving from",
            "to_address": "Address moving to",
        },
    },
}


def fill_english(service_type) -> bool:
    """Fill the English name, guide, material names and field labels of a seed service type
    where they are missing (never over an admin's own English). Returns whether anything
    changed; the caller saves."""
    english = SERVICE_TYPES_EN.get(service_type.code)
    if english is None:
        return False
    changed = False
    for attr in ("name_en", "guide_en"):
        if not getattr(service_type, attr):
            setattr(service_type, attr, english[attr])
            changed = True
    for material in service_type.materials or []:
        name_en = MATERIALS_EN.get(material.get("name"))
        if name_en and not material.get("name_en"):
            material["name_en"] = name_en
            changed = True
    for field in service_type.fields or []:
        label_en = english["labels_en"].get(field.get("code"))
        if label_en and not field.get("label_en"):
            field["label_en"] = label_en
            changed = True
        values = field.get("values") or []
        if values and "values_en" not in field and all(v in VALUES_EN for v in values):
            field["values_en"] = [VALUES_EN[v] for v in values]
            changed = True
    return changed
