"""UI strings of the public enquiry form in Chinese (default) and English (`?lang=en`).

The language is chosen as for every page (`app.core.i18n.current_language`)."""

from __future__ import annotations

from collections.abc import Callable

from app.core.i18n import LANGUAGES, current_language

__all__ = ["LANGUAGES", "STRINGS", "current_language", "translator"]

STRINGS: dict[str, dict[str, str]] = {
    "title": {"zh": "产业招商 · 厂房土地租售", "en": "Industrial park enquiry"},
    "intro": {
        "zh": "请说明您的需求、用途、税收、公司、联系人、手机号，以便快速帮您对接资源。",
        "en": "Tell us what you need, its use, expected tax, your company, a contact and a "
        "phone number, and we will match you with sites quickly.",
    },
    "need_type": {"zh": "需求类型", "en": "I am looking for"},
    "deal": {"zh": "租或买", "en": "Rent or buy"},
    "area": {"zh": "面积", "en": "Area"},
    "area_min": {"zh": "最小", "en": "from"},
    "area_max": {"zh": "最大", "en": "to"},
    "area_unit": {"zh": "单位", "en": "unit"},
    "industry": {"zh": "用途 / 行业", "en": "Use / industry"},
    "tax_wan": {"zh": "预计年税收（万元）", "en": "Expected annual tax (10k CNY)"},
    "investment_wan": {"zh": "投资额（万元）", "en": "Investment (10k CNY)"},
    "district": {"zh": "意向区域", "en": "Preferred district"},
    "company": {"zh": "公司名称", "en": "Company"},
    "contact_name": {"zh": "联系人", "en": "Contact person"},
    "phone": {"zh": "手机号 / 座机", "en": "Phone"},
    "wechat_id": {"zh": "微信号（没有手机号时必填）", "en": "WeChat ID (if no phone)"},
    "message": {"zh": "补充说明", "en": "Anything else"},
    "submit": {"zh": "提交需求", "en": "Send enquiry"},
    "any": {"zh": "都可以", "en": "Either"},
    "choose": {"zh": "请选择", "en": "Choose"},
    "thanks": {"zh": "已收到您的需求", "en": "Thank you, we received your enquiry"},
    "thanks_joined": {"zh": "已并入您之前的需求", "en": "We added this to your open enquiry"},
    "reference": {"zh": "编号", "en": "Reference"},
    "next": {
        "zh": "招商专员将尽快与您联系（工作时间内通常30分钟内）。",
        "en": "An investment officer will contact you soon (usually within 30 minutes during "
        "office hours).",
    },
    "errors": {"zh": "请修改以下内容：", "en": "Please correct the following:"},
    "another": {"zh": "再提交一个需求", "en": "Send another enquiry"},
    "switch": {"zh": "English", "en": "中文"},
    "need.land": {"zh": "土地", "en": "Land"},
    "need.factory": {"zh": "厂房", "en": "Factory"},
    "need.warehouse": {"zh": "仓库", "en": "Warehouse"},
    "need.office": {"zh": "写字楼 / 办公", "en": "Office"},
    "need.incubator": {"zh": "孵化器 / 工位", "en": "Incubator / desk"},
    "need.registration": {"zh": "注册 / 总部落户", "en": "Company registration / HQ"},
    "need.investment": {"zh": "投资合作", "en": "Investment cooperation"},
    "need.other": {"zh": "其他", "en": "Other"},
    "deal.rent": {"zh": "租", "en": "Rent"},
    "deal.buy": {"zh": "买", "en": "Buy"},
    "deal.build_to_suit": {"zh": "定制代建", "en": "Build to suit"},
    "deal.any": {"zh": "都可以", "en": "Either"},
}


def translator(lang: str) -> Callable[[str], str]:
    def t(key: str) -> str:
        entry = STRINGS.get(key)
        return entry[lang] if entry else key

    return t
