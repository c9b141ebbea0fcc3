"""Unit tests of the matching rules (app/listings/matching.py): no database, no Flask."""

from __future__ import annotations

import itertools
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from app.listings import matching
from app.listings.matching import Excluded, Match, evaluate

_ids = itertools.count(1)

LEAD_FIELDS = dict(
    need_type="factory", deal=None, area_min_m2=None, area_max_m2=None, district=None,
    industry=None, tax_wan=None, investment_wan=None, message=None, ceiling_height_min_m=None,
    crane_t=None, power_kva=None, floor_load_t_m2=None, eia_category=None,
    budget_rent_yuan_m2_month=None, budget_land_wan_per_mu=None,
)  # fmt: skip
LISTING_FIELDS = dict(
    kind="factory", status="available", for_rent=True, for_sale=False, available_m2=2000,
    min_split_m2=None, district="天元区", park="株洲高新区", ceiling_height_m=None, crane_t=None,
    power_kva=None, floor_load_t_m2=None, eia_categories=[], excluded_industries=[],
    own_yard=None, dormitory=None, canteen=None, truck_access=None, rent_yuan_m2_month=None,
    land_price_wan_per_mu=None, min_tax_wan_per_mu=None, min_investment_wan_per_mu=None,
)  # fmt: skip


def make_lead(**fields: Any) -> SimpleNamespace:
    return SimpleNamespace(id=next(_ids), **{**LEAD_FIELDS, **fields})


def make_listing(**fields: Any) -> SimpleNamespace:
    return SimpleNamespace(id=next(_ids), **{**LISTING_FIELDS, **fields})


def rule(lead: Any, listing: Any) -> str | None:
    result = evaluate(lead, listing)
    return result.rule if isinstance(result, Excluded) else None


def match(lead: Any, listing: Any) -> Match:
    result = evaluate(lead, listing)
    assert isinstance(result, Match), result
    return result


def texts(notes: list[matching.Note], language: str = "zh") -> str:
    return " | ".join(n.text(language) for n in notes)


# --- hard rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("need", "kind", "allowed"),
    [
        ("factory", "factory", True),
        ("factory", "warehouse", False),
        ("warehouse", "factory", True),
        ("warehouse", "warehouse", True),
        ("incubator", "office", True),
        ("office", "incubator", False),
        ("land", "factory", False),
        ("factory", "land", False),
        ("other", "land", True),
        ("investment", "office", True),
    ],
)
def test_kind_compatibility(need, kind, allowed):
    assert (rule(make_lead(need_type=need), make_listing(kind=kind)) != "kind") is allowed


@pytest.mark.parametrize("status", ["reserved", "let", "sold", "withdrawn"])
def test_only_available_listings_match(status):
    assert rule(make_lead(), make_listing(status=status)) == "status"


def test_a_rent_lead_needs_rent_offered_and_a_buyer_a_sale():
    for_sale_only = make_listing(for_rent=False, for_sale=True)
    assert rule(make_lead(deal="rent"), for_sale_only) == "deal"
    assert rule(make_lead(deal="buy"), for_sale_only) is None
    assert rule(make_lead(deal="buy"), make_listing()) == "deal"
    assert rule(make_lead(deal="any"), for_sale_only) is None


def test_too_small_even_whole_is_excluded_within_the_tolerance():
    lead = make_lead(area_min_m2=Decimal(1000), area_max_m2=Decimal(2000))
    assert rule(lead, make_listing(available_m2=799)) == "too_small"
    kept = match(lead, make_listing(available_m2=850))  # 15 % short: kept with a warning
    assert "面积略小" in texts(kept.warnings)


def test_too_large_to_split_is_excluded_but_a_divisible_building_fits():
    lead = make_lead(area_min_m2=500, area_max_m2=1000)
    assert rule(lead, make_listing(available_m2=5000)) == "too_large"
    divisible = match(lead, make_listing(available_m2=5000, min_split_m2=800))
    assert divisible.parts["area"] == 1.0
    assert rule(lead, make_listing(available_m2=5000, min_split_m2=1300)) == "too_large"


def test_one_stated_area_stands_for_both_ends():
    lead = make_lead(area_max_m2=1000)
    assert rule(lead, make_listing(available_m2=500)) == "too_small"
    assert match(lead, make_listing(available_m2=1000)).parts["area"] == 1.0


@pytest.mark.parametrize(
    ("lead_field", "listing_field", "wanted", "have"),
    [
        ("ceiling_height_min_m", "ceiling_height_m", 8, 6),
        ("crane_t", "crane_t", 10, 5),
        ("power_kva", "power_kva", 800, 630),
        ("floor_load_t_m2", "floor_load_t_m2", 3, 1.5),
    ],
)
def test_a_stated_minimum_not_met_excludes(lead_field, listing_field, wanted, have):
    lead = make_lead(**{lead_field: Decimal(str(wanted))})
    assert rule(lead, make_listing(**{listing_field: Decimal(str(have))})) == listing_field
    assert rule(lead, make_listing(**{listing_field: Decimal(str(wanted))})) is None


def test_an_unstated_figure_is_not_excluded_but_warned():
    result = match(make_lead(ceiling_height_min_m=8), make_listing(ceiling_height_m=None))
    assert "层高未标明" in texts(result.warnings)
    assert "ceiling height not stated" in texts(result.warnings, "en")


def test_building_minimums_do_not_apply_to_land_but_power_does():
    lead = make_lead(need_type="land", ceiling_height_min_m=8, power_kva=2000)
    land = make_listing(kind="land", ceiling_height_m=None, power_kva=1000)
    assert rule(lead, land) == "power_kva"
    assert rule(make_lead(need_type="land", ceiling_height_min_m=8), land) is None


def test_eia_must_be_possible_for_the_leads_category():
    lead = make_lead(eia_category="喷涂")
    assert rule(lead, make_listing(eia_categories=[])) == "eia"
    assert rule(lead, make_listing(eia_categories=["电镀"])) == "eia"
    assert rule(lead, make_listing(eia_categories=["一般", "喷涂"])) is None


def test_an_excluded_industry_excludes_its_branches():
    listing = make_listing(excluded_industries=["化工", "电镀"])
    assert rule(make_lead(industry="精细化工"), listing) == "industry"
    assert rule(make_lead(industry="锂电池"), listing) is None


def test_excluded_note_says_why_in_both_languages():
    result = evaluate(make_lead(area_min_m2=3000), make_listing(available_m2=1000))
    assert isinstance(result, Excluded)
    assert "1,000" in result.note.zh
    assert "3,000" in result.note.zh
    assert "too small" in result.note.en


# --- soft fit ------------------------------------------------------------------------------


def test_a_lead_with_no_requirements_gets_a_neutral_score_and_a_warning():
    result = match(make_lead(need_type="other"), make_listing())
    assert result.score == matching.NEUTRAL_SCORE
    assert result.parts == {}
    assert "尚未说明" in texts(result.warnings)


def test_unknown_lead_fields_neither_reward_nor_punish():
    # Only the area is known: a perfect area fit is a perfect score.
    lead = make_lead(need_type="other", area_min_m2=1500, area_max_m2=2500)
    assert match(lead, make_listing()).score == 100


def test_area_closeness_orders_listings():
    lead = make_lead(area_min_m2=1000, area_max_m2=1200)
    exact = match(lead, make_listing(available_m2=1100))
    short = match(lead, make_listing(available_m2=900))
    shorter = match(lead, make_listing(available_m2=820))
    assert exact.score > short.score > shorter.score


def test_district_preference_counts_and_is_explained():
    lead = make_lead(district="天元区、芦淞区", area_min_m2=2000)
    inside = match(lead, make_listing(district="芦淞区"))
    outside = match(lead, make_listing(district="荷塘区", park="荷塘工业园"))
    assert inside.score > outside.score
    assert "位于意向区域" in texts(inside.reasons)
    assert "不在意向区域" in texts(outside.warnings)


def test_price_against_budget():
    lead = make_lead(budget_rent_yuan_m2_month=Decimal("18"))
    within = match(lead, make_listing(rent_yuan_m2_month=Decimal("16")))
    over = match(lead, make_listing(rent_yuan_m2_month=Decimal("20")))
    way_over = match(lead, make_listing(rent_yuan_m2_month=Decimal("30")))
    unknown = match(lead, make_listing(rent_yuan_m2_month=None))
    assert within.parts["price"] == 1.0
    assert 0 < over.parts["price"] < 1
    assert way_over.parts["price"] == 0.0
    assert unknown.parts["price"] == 0.5
    assert "超出预算 11%" in texts(over.warnings)
    assert "11% over budget" in texts(over.warnings, "en")


def test_a_factory_for_a_warehouse_need_ranks_below_a_warehouse():
    lead = make_lead(need_type="warehouse", area_min_m2=2000)
    warehouse = match(lead, make_listing(kind="warehouse"))
    factory = match(lead, make_listing(kind="factory"))
    assert warehouse.score > factory.score
    assert "厂房也可满足此需求" in texts(factory.reasons)


def test_extras_asked_for_in_words_count():
    lead = make_lead(message="需要独门独院，有宿舍最好")
    both = match(lead, make_listing(own_yard=True, dormitory=True))
    neither = match(lead, make_listing(own_yard=False, dormitory=False))
    assert both.parts["building"] == 1.0
    assert neither.parts["building"] == 0.0
    assert "有独门独院" in texts(both.reasons)
    assert "无宿舍" in texts(neither.warnings)


def test_extras_the_listing_names_in_its_own_words_count_when_not_ticked():
    lead = make_lead(message="需要独门独院，有宿舍最好")
    said = match(lead, make_listing(title="芦淞独门独院标准厂房", description="配套员工宿舍"))
    silent = match(lead, make_listing(title="芦淞标准厂房", description="交通便利"))
    ticked_no = match(lead, make_listing(title="独门独院厂房", own_yard=False, dormitory=False))
    assert said.parts["building"] == 1.0
    assert silent.parts["building"] == 0.5  # unknown either way
    assert ticked_no.parts["building"] == 0.0  # what the office ticked outweighs the title
    assert said.score > silent.score


def test_stated_minimums_met_are_reasons_with_figures():
    lead = make_lead(ceiling_height_min_m=Decimal("8"), crane_t=Decimal("10"))
    result = match(lead, make_listing(ceiling_height_m=Decimal("9.5"), crane_t=Decimal("16")))
    assert "层高 9.5 m，满足 ≥ 8 m" in texts(result.reasons)
    assert "crane 16 t meets ≥ 10 t" in texts(result.reasons, "en")


# --- land: 亩均税收 and 投资强度 -------------------------------------------------------------


def land_lead(**fields: Any) -> SimpleNamespace:
    return make_lead(need_type="land", deal="buy", **fields)


def land(**fields: Any) -> SimpleNamespace:
    base = dict(kind="land", for_rent=False, for_sale=True, available_m2=Decimal("20000.10"))
    return make_listing(**{**base, **fields})


def test_land_thresholds_met_are_shown_with_the_figures():
    # 30 亩 (20,000.1 ㎡), 900 万 tax → 30 万/亩 against a threshold of 20; 9,000 万 investment
    # → 300 万/亩 against 250.
    lead = land_lead(area_min_m2=Decimal("20000.1"), tax_wan=900, investment_wan=9000)
    result = match(lead, land(min_tax_wan_per_mu=20, min_investment_wan_per_mu=250))
    reasons = texts(result.reasons)
    assert "亩均税收 30 万元/亩/年，达到门槛 20（达标）" in reasons
    assert "投资强度 300 万元/亩，达到门槛 250（达标）" in reasons
    assert result.parts["admission"] == 1.0


def test_land_below_threshold_is_a_warning_not_an_exclusion():
    lead = land_lead(area_min_m2=Decimal("20000.1"), tax_wan=300)
    result = match(lead, land(min_tax_wan_per_mu=20))
    assert "亩均税收 10 万元/亩/年，低于门槛 20（未达标）" in texts(result.warnings)
    assert "below the threshold of 20" in texts(result.warnings, "en")
    assert result.parts["admission"] == pytest.approx(0.25)


def test_land_threshold_with_unknown_tax_is_neutral_and_said():
    result = match(land_lead(area_min_m2=20000), land(min_tax_wan_per_mu=20))
    assert "admission" not in result.parts
    assert "无法核对" in texts(result.warnings)


def test_tax_per_mu_uses_the_area_the_lead_would_take():
    # A 100-亩 parcel divisible from 10 亩; the lead wants 20 亩: its tax counts per 20 亩.
    parcel = land(
        available_m2=Decimal("66667"), min_split_m2=Decimal("6666.7"), min_tax_wan_per_mu=20
    )
    lead = land_lead(area_max_m2=Decimal("13333.4"), tax_wan=400)
    assert matching.taken_area_m2(lead, parcel) == pytest.approx(13333.4)
    assert "亩均税收 20 万元/亩/年，达到门槛 20" in texts(match(lead, parcel).reasons)


def test_land_budget_per_mu():
    lead = land_lead(budget_land_wan_per_mu=30)
    assert match(lead, land(land_price_wan_per_mu=25)).parts["price"] == 1.0
    assert match(lead, land(land_price_wan_per_mu=40)).parts["price"] == 0.0


# --- ranking and the SQL bounds ------------------------------------------------------------


def test_rank_is_best_first_and_drops_the_excluded():
    lead = make_lead(area_min_m2=1000, area_max_m2=1200, district="天元区")
    best = make_listing(available_m2=1100)
    good = make_listing(available_m2=1100, district="荷塘区", park="荷塘")
    gone = make_listing(status="let")
    ranked = matching.rank(lead, [gone, good, best], limit=5)
    assert [row for row, _ in ranked] == [best, good]
    assert ranked[0][1].reasons  # explained


def test_sql_bounds_never_rule_out_a_pair_evaluate_keeps():
    """The bounds the database applies are looser than (or equal to) the hard rules."""
    areas = [None, 300, 999.99, 1000, 1250, 5000]
    leads = [
        make_lead(need_type=need, deal=deal, area_min_m2=low, area_max_m2=high,
                  ceiling_height_min_m=ceiling)
        for need in ("factory", "warehouse", "land", "other")
        for deal in (None, "rent", "buy")
        for low, high in ((None, None), (800, 1000), (1000, None), (None, 4000))
        for ceiling in (None, 8)
    ]  # fmt: skip
    listings = [
        make_listing(kind=kind, available_m2=area or 1, min_split_m2=split,
                     for_rent=rent, for_sale=not rent, ceiling_height_m=ceiling)
        for kind in ("factory", "warehouse", "land")
        for area in areas
        for split in (None, 200)
        for rent in (True, False)
        for ceiling in (None, 6, 9)
    ]  # fmt: skip

    def sql_keeps_listing(lead: Any, listing: Any) -> bool:
        b = matching.listing_bounds(lead)
        split, available = matching.offered_area(listing)
        checks = [
            listing.kind in b.kinds,
            not b.for_rent or listing.for_rent,
            not b.for_sale or listing.for_sale,
            b.min_available_m2 is None or available >= b.min_available_m2,
            b.max_split_m2 is None or split <= b.max_split_m2,
        ]
        for column, minimum in b.minimums.items():
            if listing.kind == "land" and column != "power_kva":
                continue
            have = getattr(listing, column)
            checks.append(have is None or have >= minimum)
        return all(checks)

    def sql_keeps_lead(lead: Any, listing: Any) -> bool:
        b = matching.lead_bounds(listing)
        low, high = matching.lead_area(lead)
        checks = [
            lead.need_type in b.need_types,
            lead.deal is None or lead.deal in b.deals,
            low is None or low <= b.area_min_at_most,
            high is None or high >= b.area_max_at_least,
        ]
        for column, have in b.maximums.items():
            wanted = getattr(lead, column)
            checks.append(wanted is None or wanted <= have)
        return all(checks)

    for lead in leads:
        for listing in listings:
            if isinstance(evaluate(lead, listing), Match):
                assert sql_keeps_listing(lead, listing), (lead, listing)
                assert sql_keeps_lead(lead, listing), (lead, listing)
