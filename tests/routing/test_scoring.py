"""Lead score (app.leads.scoring): each factor, the weights from config, and when it is stored."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask import Flask

from app.core.db import db
from app.leads import service as leads
from app.leads.models import Channel, Lead, NeedType
from app.leads.schemas import EnquiryIn
from app.leads.scoring import factors, score_lead, weights
from config import load_config


def lead(**fields: Any) -> Lead:
    """An unsaved lead (scoring reads attributes only)."""
    fields.setdefault("channel", Channel.WEB_FORM)
    fields.setdefault("need_type", NeedType.OTHER)
    for key in ("tax_wan", "investment_wan", "area_min_m2", "area_max_m2"):
        if key in fields:
            fields[key] = Decimal(str(fields[key]))
    return Lead(**fields)


FULL = {
    "need_type": NeedType.FACTORY, "deal": "rent", "area_min_m2": 20000, "area_max_m2": 30000,
    "industry": "新能源电池", "company": "湘能电池科技有限公司", "contact_name": "王先生",
    "phone": "+8613812345678", "district": "芦淞区", "timeline": "三个月内", "employees": 200,
    "tax_wan": 1000, "investment_wan": 10000, "channel": Channel.PHONE,
}  # fmt: skip


# --- factors ---------------------------------------------------------------------------------


def test_tax_factor_is_zero_without_a_tax_figure():
    assert factors(lead())["tax"] == 0


def test_tax_factor_is_full_at_ten_million_yuan_and_above():
    assert factors(lead(tax_wan=1000))["tax"] == 1
    assert factors(lead(tax_wan=5000))["tax"] == 1


def test_tax_factor_grows_on_a_log_scale():
    small, medium = factors(lead(tax_wan=10))["tax"], factors(lead(tax_wan=100))["tax"]
    assert 0.3 < small < medium < 0.7 < factors(lead(tax_wan=300))["tax"] < 1


def test_investment_factor_is_full_at_one_hundred_million_yuan():
    assert factors(lead(investment_wan=10000))["investment"] == 1
    assert 0 < factors(lead(investment_wan=500))["investment"] < 1


def test_area_factor_uses_the_largest_stated_area():
    ranged = factors(lead(area_min_m2=1000, area_max_m2=20000))["area"]
    assert ranged == factors(lead(area_min_m2=20000))["area"] == 1
    assert factors(lead(area_min_m2=1000))["area"] < 1


def test_completeness_is_the_share_of_key_fields_filled():
    assert factors(lead())["completeness"] == 0
    assert factors(lead(phone="+8613812345678"))["completeness"] == pytest.approx(0.1)
    assert factors(lead(phone="+8613812345678", company="某公司"))["completeness"] == (
        pytest.approx(0.2)
    )
    assert factors(lead(**FULL))["completeness"] == 1


def test_need_type_other_does_not_count_as_filled():
    assert factors(lead(need_type=NeedType.OTHER))["completeness"] == 0
    assert factors(lead(need_type=NeedType.LAND))["completeness"] == pytest.approx(0.1)


def test_channel_factor_ranks_phone_over_wechat_over_form_over_import():
    value = {c: factors(lead(channel=c))["channel"] for c in Channel}
    assert value[Channel.PHONE] > value[Channel.WECHAT] > value[Channel.WEB_FORM]
    assert value[Channel.WEB_FORM] > value[Channel.API] > value[Channel.IMPORT] > 0


# --- the score -------------------------------------------------------------------------------


def test_fully_described_big_project_by_phone_scores_100():
    assert score_lead(lead(**FULL), {}) == 100


def test_bare_form_enquiry_scores_low():
    # completeness 1/10 × 20 + channel 0.6 × 10 = 8 of 100.
    assert score_lead(lead(phone="+8613812345678"), {}) == 8


def test_bigger_tax_gives_a_higher_score():
    assert score_lead(lead(tax_wan=1000), {}) > score_lead(lead(tax_wan=50), {})


def test_weights_come_from_the_setting():
    app = Flask(__name__)
    app.config["SCORING_WEIGHTS"] = {
        "tax": 1, "investment": 0, "area": 0, "completeness": 0, "channel": 0,
    }  # fmt: skip
    with app.app_context():
        assert score_lead(lead(tax_wan=1000, channel=Channel.IMPORT)) == 100
        assert score_lead(lead(channel=Channel.PHONE)) == 0


def test_factor_left_out_of_the_setting_keeps_its_default_weight():
    merged = weights({"tax": 50})
    assert merged["tax"] == 50
    assert merged["channel"] == 10


def test_all_weights_zero_scores_zero():
    zero = {"tax": 0, "investment": 0, "area": 0, "completeness": 0, "channel": 0}
    assert score_lead(lead(**FULL), zero) == 0


@pytest.mark.parametrize(
    ("configured", "message"),
    [({"taxes": 1}, "unknown scoring factor"), ({"tax": -1}, "≥ 0"), ({"tax": "a"}, "≥ 0")],
)
def test_bad_weights_are_refused(configured, message):
    with pytest.raises(ValueError, match=message):
        weights(configured)


def test_environment_variable_overrides_the_weights(monkeypatch):
    monkeypatch.setenv("PARKLEAD_SCORING_WEIGHTS", '{"tax": 80, "channel": 0}')
    assert load_config("testing")["SCORING_WEIGHTS"] == {"tax": 80, "channel": 0}


@pytest.mark.parametrize("raw", ["{tax: 1}", "[1, 2]"])
def test_environment_variable_that_is_not_a_json_object_is_refused(monkeypatch, raw):
    monkeypatch.setenv("PARKLEAD_SCORING_WEIGHTS", raw)
    with pytest.raises(ValueError, match="PARKLEAD_SCORING_WEIGHTS"):
        load_config("testing")


# --- stored on the lead ----------------------------------------------------------------------


def test_score_is_stored_when_the_lead_is_created(app, create_lead):
    created = create_lead(tax_wan=300, company="湘能电池科技有限公司")
    assert created.score == score_lead(created) > 0


def test_score_is_recomputed_when_an_enquiry_fills_in_fields(app, create_lead):
    created = create_lead()
    before = created.score
    leads.attach_enquiry(
        created,
        EnquiryIn(phone=created.phone, tax_wan=Decimal(2000), company="株洲中车配套集团"),
        Channel.WEB_FORM,
        {},
    )
    db.session.commit()
    assert created.score == score_lead(created) > before


def test_score_is_recomputed_when_fields_are_changed(app, create_lead):
    created = create_lead()
    before = created.score

    leads.update_fields(created, {"tax_wan": Decimal(2000), "district": "芦淞区"})
    db.session.commit()

    assert created.score == score_lead(created) > before
