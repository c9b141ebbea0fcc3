"""About 30 Zhuzhou listings for the demo (`parklead seed-demo`), each with a generated
drawing as its photo, chosen so the demo leads have matches at once (docs/listings.md
"Demo"). Figures stay within the ranges of public listings and land notices; the parks are
real names or plausible made-up ones. Safe to run more than once (by title)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from app.core.db import db
from app.listings import service
from app.listings.drawings import drawing
from app.listings.models import Listing

HIGH_TECH = "株洲高新区"
LUSONG = "芦淞工业园"
HETANG = "荷塘科技产业园"
SHIFENG = "石峰清水塘产业园"
LUKOU = "渌口经开区"
CENTRE = ("天元区", HIGH_TECH, 27.835, 113.080)

# (kind, subtype, title, district, park, area m², extra fields)
DEMO_LISTINGS: tuple[tuple[str, str | None, str, str, str, int, dict[str, Any]], ...] = (
    ("factory", "standard", "芦淞工业园 标准厂房 B2栋 1-2层", "芦淞区", LUSONG, 5200,
     {"ceiling_height_m": 8.5, "floor_load_t_m2": 2, "power_kva": 630, "rent_yuan_m2_month": 15,
      "min_split_m2": 2600, "eia_categories": ["一般"], "dormitory": True}),
    ("factory", "standard", "芦淞工业园 标准厂房 C1栋 3层", "芦淞区", LUSONG, 2400,
     {"ceiling_height_m": 5.5, "floor_load_t_m2": 0.8, "power_kva": 315, "rent_yuan_m2_month": 12,
      "storey": 3, "floors": 4}),
    ("factory", "single_storey", "芦淞区 单层钢结构厂房（带10吨行车）", "芦淞区", LUSONG, 6000,
     {"ceiling_height_m": 12, "crane_t": 10, "floor_load_t_m2": 5, "power_kva": 1250,
      "rent_yuan_m2_month": 18, "own_yard": True, "truck_access": True,
      "eia_categories": ["一般", "喷涂"]}),
    ("factory", "standard", "高新区 动力谷标准厂房 A3栋", "天元区", HIGH_TECH, 4800,
     {"ceiling_height_m": 8, "floor_load_t_m2": 1.5, "power_kva": 800, "rent_yuan_m2_month": 16,
      "min_split_m2": 1200, "canteen": True, "dormitory": True}),
    ("factory", "single_storey", "高新区 轨道交通配套单层厂房", "天元区", HIGH_TECH, 9600,
     {"ceiling_height_m": 14, "crane_t": 20, "floor_load_t_m2": 8, "power_kva": 2000,
      "rent_yuan_m2_month": 20, "truck_access": True, "own_yard": True,
      "excluded_industries": ["化工"]}),
    ("factory", "custom_built", "天元区 定制厂房（代建，可售）", "天元区", HIGH_TECH, 12000,
     {"deals": ["sale"], "ceiling_height_m": 10, "sale_price_yuan_m2": 3200, "power_kva": 1600}),
    ("factory", "standard", "荷塘区 科技产业园 标准厂房 2号楼", "荷塘区", HETANG, 3600,
     {"ceiling_height_m": 6, "floor_load_t_m2": 1, "power_kva": 400, "rent_yuan_m2_month": 13,
      "min_split_m2": 900}),
    ("factory", "single_storey", "石峰区 单层厂房（独门独院）", "石峰区", SHIFENG, 4500,
     {"ceiling_height_m": 9, "crane_t": 5, "power_kva": 630, "rent_yuan_m2_month": 14,
      "own_yard": True, "eia_categories": ["一般", "电镀"]}),
    ("factory", "standard", "渌口经开区 标准厂房 5栋", "渌口区", LUKOU, 8000,
     {"ceiling_height_m": 7.5, "floor_load_t_m2": 1.5, "power_kva": 800, "rent_yuan_m2_month": 10,
      "min_split_m2": 2000, "dormitory": True}),
    ("factory", "standard", "芦淞区 服饰产业标准厂房 4层", "芦淞区", LUSONG, 1800,
     {"ceiling_height_m": 4.5, "floor_load_t_m2": 0.5, "rent_yuan_m2_month": 11, "storey": 4,
      "floors": 5}),
    ("warehouse", "ambient", "石峰区 清水塘物流仓（常温）", "石峰区", SHIFENG, 4000,
     {"ceiling_height_m": 10, "floor_load_t_m2": 3, "rent_yuan_m2_month": 13,
      "truck_access": True, "min_split_m2": 2000}),
    ("warehouse", "cold_storage", "石峰区 冷库 -18℃", "石峰区", SHIFENG, 3200,
     {"ceiling_height_m": 9, "rent_yuan_m2_month": 38, "power_kva": 800, "truck_access": True}),
    ("warehouse", "ambient", "芦淞区 电商仓 高台库", "芦淞区", LUSONG, 6500,
     {"ceiling_height_m": 11, "floor_load_t_m2": 3, "rent_yuan_m2_month": 15,
      "truck_access": True, "min_split_m2": 1500}),
    ("warehouse", "bonded", "株洲铜塘湾保税物流中心 保税仓", "石峰区", "铜塘湾保税物流中心", 5000,
     {"ceiling_height_m": 10, "rent_yuan_m2_month": 22, "truck_access": True}),
    ("warehouse", "cold_storage", "渌口区 农产品冷链仓 0-4℃", "渌口区", LUKOU, 2500,
     {"ceiling_height_m": 8, "rent_yuan_m2_month": 30}),
    ("warehouse", "ambient", "天元区 城市配送仓", "天元区", HIGH_TECH, 3000,
     {"ceiling_height_m": 9, "floor_load_t_m2": 2.5, "rent_yuan_m2_month": 16}),
    ("land", None, "天元区 工业用地 45亩（轨道交通配套）", "天元区", HIGH_TECH, 30000,
     {"deals": ["sale"], "land_use": "industrial", "land_term_years": 50,
      "land_price_wan_per_mu": 25, "plot_ratio_min": 1.0, "plot_ratio_max": 2.0,
      "min_investment_wan_per_mu": 300, "min_tax_wan_per_mu": 20, "power_kva": 5000,
      "eia_categories": ["一般", "喷涂"]}),
    ("land", None, "天元区 工业用地 60亩", "天元区", HIGH_TECH, 40000,
     {"deals": ["sale"], "land_use": "industrial", "land_term_years": 50,
      "land_price_wan_per_mu": 28, "plot_ratio_min": 1.2, "plot_ratio_max": 2.0,
      "min_investment_wan_per_mu": 350, "min_tax_wan_per_mu": 25}),
    ("land", None, "渌口区 工业用地 120亩", "渌口区", LUKOU, 80000,
     {"deals": ["sale"], "land_use": "industrial", "land_term_years": 50,
      "land_price_wan_per_mu": 18, "plot_ratio_min": 0.8, "plot_ratio_max": 1.8,
      "min_investment_wan_per_mu": 200, "min_tax_wan_per_mu": 10,
      "eia_categories": ["一般", "化工"]}),
    ("land", None, "石峰区 仓储用地 30亩", "石峰区", SHIFENG, 20000,
     {"deals": ["sale"], "land_use": "warehousing", "land_term_years": 50,
      "land_price_wan_per_mu": 22, "min_investment_wan_per_mu": 150, "min_tax_wan_per_mu": 8}),
    ("land", None, "荷塘区 工业用地 25亩", "荷塘区", HETANG, 16667,
     {"deals": ["sale"], "land_use": "industrial", "land_term_years": 50,
      "land_price_wan_per_mu": 26, "min_investment_wan_per_mu": 250, "min_tax_wan_per_mu": 15}),
    ("office", "grade_a", "神农城 甲级写字楼 18层", "天元区", "神农城商务区", 420,
     {"rent_yuan_m2_month": 55, "property_fee_yuan_m2_month": 8, "storey": 18, "floors": 32}),
    ("office", "general_office", "高新区 企业总部大楼 6层", "天元区", HIGH_TECH, 360,
     {"rent_yuan_m2_month": 35, "storey": 6, "floors": 12, "min_split_m2": 120}),
    ("office", "general_office", "芦淞区 商务楼 整层办公", "芦淞区", LUSONG, 800,
     {"rent_yuan_m2_month": 30, "min_split_m2": 200}),
    ("office", "grade_a", "荷塘区 科创大厦 11层", "荷塘区", HETANG, 500,
     {"rent_yuan_m2_month": 45, "storey": 11, "floors": 24}),
    ("incubator", "desk", "高新区 创业孵化器 开放工位", "天元区", HIGH_TECH, 60,
     {"rent_yuan_m2_month": 40, "min_split_m2": 6, "description": "工位可按月租，含注册地址"}),
    ("incubator", "private_room", "高新区 众创空间 独立办公室", "天元区", HIGH_TECH, 120,
     {"rent_yuan_m2_month": 45, "min_split_m2": 20}),
    ("incubator", "desk", "荷塘区 大学科技园 孵化工位", "荷塘区", HETANG, 80,
     {"rent_yuan_m2_month": 35, "min_split_m2": 8}),
    ("incubator", "private_room", "芦淞区 电商孵化基地 独立间", "芦淞区", LUSONG, 150,
     {"rent_yuan_m2_month": 28, "min_split_m2": 25}),
    ("factory", "standard", "渌口区 新材料标准厂房 1栋", "渌口区", LUKOU, 5600,
     {"ceiling_height_m": 9, "floor_load_t_m2": 3, "power_kva": 1000, "rent_yuan_m2_month": 12,
      "eia_categories": ["一般", "化工"], "min_split_m2": 2800}),
)  # fmt: skip

_COLORS = {
    "factory": (96, 125, 160),
    "warehouse": (150, 120, 90),
    "office": (80, 110, 130),
    "incubator": (110, 150, 110),
    "land": (140, 120, 80),
}


def demo_listing_payload(index: int) -> dict[str, Any]:
    kind, subtype, title, district, park, area, extra = DEMO_LISTINGS[index]
    lat, lng = CENTRE[2] + (index % 7 - 3) * 0.012, CENTRE[3] + (index % 5 - 2) * 0.015
    payload: dict[str, Any] = {
        "kind": kind,
        "subtype": subtype,
        "title": title,
        "district": district,
        "park": park,
        "area_m2": area,
        "address": f"湖南省株洲市{district}{park}",
        "lat": f"{lat:.6f}",
        "lng": f"{lng:.6f}",
        "published": True,
        "description": f"{park}，{title}。可随时看房，手续齐全。",
        **extra,
    }
    return {k: (str(v) if isinstance(v, float) else v) for k, v in payload.items()}


def seed_listings(*, echo: Callable[[str], None] = print) -> int:
    """Add the demo listings not there yet (by title), each with its drawing; commits."""
    have = set(db.session.scalars(select(Listing.title)))
    added = 0
    for index, row in enumerate(DEMO_LISTINGS):
        if row[2] in have:
            continue
        listing = service.create_listing(demo_listing_payload(index), by=None, reason="demo")
        picture = drawing(row[0], _COLORS[row[0]], width=240, height=180)
        service.add_photo(listing, by=None, data=picture, caption=row[2])
        db.session.commit()
        added += 1
    echo(f"{added} demo listings added")
    return added
