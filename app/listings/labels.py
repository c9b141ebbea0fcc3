"""Display names of the listings' enums on the pages (Chinese message ids, English in
messages.po)."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from app.core.units import m2_to_mu
from app.listings.models import (
    LandUse,
    ListingDeal,
    ListingEventType,
    ListingKind,
    ListingStatus,
    ListingSubtype,
)

KIND = {
    ListingKind.LAND: _l("土地"),
    ListingKind.FACTORY: _l("厂房"),
    ListingKind.WAREHOUSE: _l("仓库"),
    ListingKind.OFFICE: _l("办公"),
    ListingKind.INCUBATOR: _l("孵化器工位"),
}
SUBTYPE = {
    ListingSubtype.STANDARD: _l("标准厂房"),
    ListingSubtype.SINGLE_STOREY: _l("单层厂房"),
    ListingSubtype.CUSTOM_BUILT: _l("定制厂房"),
    ListingSubtype.AMBIENT: _l("常温仓"),
    ListingSubtype.COLD_STORAGE: _l("冷库"),
    ListingSubtype.BONDED: _l("保税仓"),
    ListingSubtype.GRADE_A: _l("甲级写字楼"),
    ListingSubtype.GENERAL_OFFICE: _l("普通办公"),
    ListingSubtype.DESK: _l("工位"),
    ListingSubtype.PRIVATE_ROOM: _l("独立办公室"),
}
STATUS = {
    ListingStatus.AVAILABLE: _l("可租售"),
    ListingStatus.RESERVED: _l("已预留"),
    ListingStatus.LET: _l("已出租"),
    ListingStatus.SOLD: _l("已出售"),
    ListingStatus.WITHDRAWN: _l("已下架"),
}
DEAL = {ListingDeal.RENT: _l("出租"), ListingDeal.SALE: _l("出售")}
LAND_USE = {
    LandUse.INDUSTRIAL: _l("工业"),
    LandUse.WAREHOUSING: _l("仓储"),
    LandUse.COMMERCIAL: _l("商业"),
    LandUse.MIXED: _l("综合"),
}
EVENT = {
    ListingEventType.CREATED: _l("创建"),
    ListingEventType.UPDATED: _l("修改"),
    ListingEventType.STATUS_CHANGED: _l("状态变更"),
    ListingEventType.PHOTO_ADDED: _l("添加照片"),
    ListingEventType.PHOTO_REMOVED: _l("删除照片"),
}
_BY_TYPE: dict[type[enum.Enum], dict[Any, Any]] = {
    ListingKind: KIND,
    ListingSubtype: SUBTYPE,
    ListingStatus: STATUS,
    ListingDeal: DEAL,
    LandUse: LAND_USE,
    ListingEventType: EVENT,
}


def listing_label(value: Any, kind: type[enum.Enum] | None = None) -> str:
    """The display name of a listing enum member or raw value (`kind` names its enum)."""
    if value is None or value == "":
        return "—"
    if kind is not None and not isinstance(value, kind):
        try:
            value = kind(value)
        except ValueError:
            return str(value)
    names = _BY_TYPE.get(type(value))
    return str(names[value]) if names is not None and value in names else str(value)


def mu(area_m2: Any) -> str:
    """An area in 亩 (1 亩 = 666.67 ㎡), two decimals."""
    if area_m2 is None:
        return "—"
    return f"{m2_to_mu(area_m2).quantize(Decimal('0.01')):,}"


def num(value: Any) -> str:
    """A figure without trailing zeros (8.50 → 8.5), '—' when unknown."""
    if value is None:
        return "—"
    text = f"{Decimal(value).normalize():f}"
    return text


# The listing's figures and yes/no facts on the form and the pages.
FIELD_NAMES = {
    "area_m2": _l("总面积（㎡）"),
    "available_m2": _l("可租售面积（㎡）"),
    "min_split_m2": _l("最小分割面积（㎡）"),
    "floors": _l("总层数"),
    "storey": _l("所在楼层"),
    "ceiling_height_m": _l("层高（米）"),
    "floor_load_t_m2": _l("承重（吨/㎡）"),
    "crane_t": _l("行车（吨）"),
    "power_kva": _l("配电（kVA）"),
    "rent_yuan_m2_month": _l("租金（元/㎡/月）"),
    "sale_price_yuan_m2": _l("售价（元/㎡）"),
    "land_price_wan_per_mu": _l("地价（万元/亩）"),
    "property_fee_yuan_m2_month": _l("物业费（元/㎡/月）"),
    "min_investment_wan_per_mu": _l("投资强度门槛（万元/亩）"),
    "min_tax_wan_per_mu": _l("亩均税收门槛（万元/亩）"),
    "land_term_years": _l("出让年限（年）"),
    "lat": _l("纬度"),
    "lng": _l("经度"),
    "own_yard": _l("独门独院"),
    "dormitory": _l("宿舍"),
    "canteen": _l("食堂"),
    "truck_access": _l("货车通行"),
}
