"""Texts of the public enquiry form. As on every page, the message ids are the Chinese
texts and the English is in `app/translations/en/LC_MESSAGES/messages.po` (Flask-Babel);
the language is chosen by `app.core.i18n.current_language` (`?lang=en`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FORM_TEXT = {
    "title": _l("产业招商 · 厂房土地租售"),
    "intro": _l("请说明您的需求、用途、税收、公司、联系人、手机号，以便快速帮您对接资源。"),
    "need_type": _l("需求类型"),
    "deal": _l("租或买"),
    "area": _l("面积"),
    "area_min": _l("最小"),
    "area_max": _l("最大"),
    "area_unit": _l("单位"),
    "industry": _l("用途 / 行业"),
    "tax_wan": _l("预计年税收（万元）"),
    "investment_wan": _l("投资额（万元）"),
    "district": _l("意向区域"),
    "company": _l("公司名称"),
    "contact_name": _l("联系人"),
    "phone": _l("手机号 / 座机"),
    "wechat_id": _l("微信号（没有手机号时必填）"),
    "message": _l("补充说明"),
    "submit": _l("提交需求"),
    "privacy_link": _l("个人信息保护说明"),
    "any": _l("都可以"),
    "choose": _l("请选择"),
    "thanks": _l("已收到您的需求"),
    "reference": _l("编号"),
    "next": _l("招商专员将尽快与您联系（工作时间内通常30分钟内）。"),
    "errors": _l("请修改以下内容："),
    "another": _l("再提交一个需求"),
    "switch": _l("English"),
    "colon": _l("："),
    "website": _l("网址"),
    "mu": _l("亩"),
    "more": _l("更多要求（选填，用于为您匹配载体）"),
    "ceiling_height_min_m": _l("最低层高（米）"),
    "crane_t": _l("行车（吨）"),
    "power_kva": _l("配电（kVA）"),
    "floor_load_t_m2": _l("地面承重（吨/㎡）"),
    "eia_category": _l("环评类别（如 喷涂、电镀、化工）"),
    "budget_rent_yuan_m2_month": _l("租金预算（元/㎡/月）"),
    "budget_land_wan_per_mu": _l("地价预算（万元/亩）"),
    "need.land": _l("土地"),
    "need.factory": _l("厂房"),
    "need.warehouse": _l("仓库"),
    "need.office": _l("写字楼 / 办公"),
    "need.incubator": _l("孵化器 / 工位"),
    "need.registration": _l("注册 / 总部落户"),
    "need.investment": _l("投资合作"),
    "need.other": _l("其他"),
    "deal.rent": _l("租"),
    "deal.buy": _l("买"),
    "deal.build_to_suit": _l("定制代建"),
    "deal.any": _l("都可以"),
}


def t(key: str) -> str:
    """The form text `key` in the current language (the key itself when unknown)."""
    text = FORM_TEXT.get(key)
    return str(text) if text is not None else key
