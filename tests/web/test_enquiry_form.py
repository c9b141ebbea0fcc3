"""The public enquiry form at /enquiry (docs/leads.md): languages, intake, errors, escaping."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.core.db import db
from app.leads.models import Channel, Lead, LeadEvent

ZH_SUBMIT = "提交需求"
EN_SUBMIT = "Send enquiry"


def row_counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Lead)),
        db.session.scalar(select(func.count()).select_from(LeadEvent)),
    )


def submit(client, query: str = "", **fields: str):
    return client.post(f"/enquiry{query}", data=fields)


def page_reference(page: str) -> str:
    match = re.search(r'id="reference">([^<]+)<', page)
    assert match, "no reference on the page"
    return match.group(1)


def reject(client, **fields: str) -> str:
    """Submit the form, expect it re-rendered with status 400 and nothing stored."""
    before = row_counts()
    response = submit(client, **fields)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert row_counts() == before
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page
    assert 'action="/enquiry"' in page
    return page


# --- language ---------------------------------------------------------------------------------


def test_form_is_chinese_by_default(client):
    page = client.get("/enquiry").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert ZH_SUBMIT in page
    assert EN_SUBMIT not in page


def test_form_is_english_with_lang_en(client):
    page = client.get("/enquiry?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert EN_SUBMIT in page
    assert ZH_SUBMIT not in page


def test_form_follows_an_english_browser(client):
    response = client.get("/enquiry", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert EN_SUBMIT in response.get_data(as_text=True)


def test_form_follows_a_chinese_browser_that_also_reads_english(client):
    headers = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
    assert ZH_SUBMIT in client.get("/enquiry", headers=headers).get_data(as_text=True)


def test_lang_parameter_beats_the_browser_language(client):
    headers = {"Accept-Language": "en-US,en;q=0.9"}
    assert ZH_SUBMIT in client.get("/enquiry?lang=zh", headers=headers).get_data(as_text=True)


def test_form_has_a_hidden_honeypot_and_the_spec_fields(client):
    page = client.get("/enquiry").get_data(as_text=True)
    names = ("need_type", "deal", "area_min", "area_max", "area_unit", "industry", "tax_wan",
             "company", "contact_name", "phone", "wechat_id", "district", "message")  # fmt: skip
    for name in names:
        assert f'name="{name}"' in page
    assert re.search(r'class="hp"[^>]*aria-hidden="true"', page)
    assert 'name="website"' in page


def test_root_redirects_to_the_form(client):
    response = client.get("/")
    assert response.status_code in (301, 302, 303, 307, 308)
    assert response.headers["Location"].endswith("/enquiry")


# --- submitting -----------------------------------------------------------------------------


def test_submission_creates_a_lead_and_shows_its_reference(client):
    response = submit(client, need_type="factory", deal="rent", phone="138 1234 5678",
                      company="湘能电池科技有限公司", area_min="3000", area_max="5000")  # fmt: skip
    assert response.status_code == 201
    lead = db.session.scalars(select(Lead)).one()
    assert page_reference(response.get_data(as_text=True)) == lead.reference
    assert lead.phone == "+8613812345678"
    assert lead.channel is Channel.WEB_FORM
    assert lead.source["form"] == "enquiry"
    assert lead.area_min_m2 == 3000
    assert lead.area_max_m2 == 5000


def test_thank_you_page_is_in_the_form_language(client):
    response = submit(client, lang="en", phone="13812345678")
    assert response.status_code == 201
    assert "Thank you, we received your enquiry" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("mu", "m2"), [("1", "666.67"), ("10", "6666.70"), ("3", "2000.01"), ("0.5", "333.34")]
)
def test_mu_are_stored_as_square_metres(client, mu, m2):
    response = submit(client, phone="13812345678", area_min=mu, area_max=mu, area_unit="mu")
    assert response.status_code == 201
    lead = db.session.scalars(select(Lead)).one()
    assert lead.area_min_m2 == Decimal(m2)
    assert lead.area_max_m2 == Decimal(m2)


def test_square_metres_are_stored_as_typed(client):
    submit(client, phone="13812345678", area_min="3000.5", area_unit="m2")
    assert db.session.scalars(select(Lead)).one().area_min_m2 == Decimal("3000.5")


def test_utm_parameters_of_the_landing_link_reach_the_lead(client):
    page = client.get("/enquiry?utm_source=wechat_ad").get_data(as_text=True)
    assert 'name="utm_source" value="wechat_ad"' in page
    submit(client, phone="13812345678", utm_source="wechat_ad")
    assert db.session.scalars(select(Lead)).one().source["utm_source"] == "wechat_ad"


def test_second_submission_from_the_same_phone_gets_the_same_page_as_a_new_one(client):
    first = submit(client, phone="13812345678", need_type="factory", company="甲公司")
    again = submit(client, phone="+86 138-1234-5678", message="还想看仓库")
    fresh = submit(client, phone="13900000001", message="还想看仓库")
    assert again.status_code == fresh.status_code == 201
    page = again.get_data(as_text=True)
    # Neither the open lead's reference nor its data; the page reads as for a new phone.
    assert page_reference(page) != page_reference(first.get_data(as_text=True))
    assert page.replace(page_reference(page), "REF") == fresh.get_data(as_text=True).replace(
        page_reference(fresh.get_data(as_text=True)), "REF"
    )
    assert "甲公司" not in page
    open_leads = db.session.scalars(select(Lead).where(Lead.merged_into_id.is_(None))).all()
    assert len(open_leads) == 2


def test_repeat_enquiry_is_thanked_like_a_new_one_in_english_too(client):
    submit(client, lang="en", phone="13812345678")
    page = submit(client, lang="en", phone="13812345678").get_data(as_text=True)
    assert "We added this to your open enquiry" not in page
    assert page_reference(page)


# --- validation errors ----------------------------------------------------------------------


def test_invalid_phone_re_renders_the_form_with_the_message_and_typed_values(client):
    page = reject(client, phone="12345", company="湘能电池", contact_name="王先生",
                  area_min="5", area_unit="mu", message="层高8米")  # fmt: skip
    assert "不是有效的手机号或座机号" in page
    assert 'value="12345"' in page
    assert 'value="湘能电池"' in page
    assert 'value="王先生"' in page
    assert 'name="area_min" inputmode="decimal" placeholder="最小" value="5"' in page
    assert '<option value="mu" selected>' in page
    assert ">层高8米</textarea>" in page


def test_form_without_phone_or_wechat_says_why(client):
    page = reject(client, company="湘能电池")
    assert "请留下手机号或微信号，方便我们联系您" in page
    assert 'value="湘能电池"' in page


def test_area_min_above_max_says_why(client):
    page = reject(client, phone="13812345678", area_min="5000", area_max="3000")
    assert "最小面积不能大于最大面积" in page


def test_unreadable_area_is_reported_and_kept(client):
    page = reject(client, phone="13812345678", area_min="五千", area_unit="mu")
    assert "请输入数字" in page
    assert 'value="五千"' in page


def test_negative_tax_is_reported(client):
    page = reject(client, phone="13812345678", tax_wan="-3")
    assert "不能小于 0" in page
    assert 'value="-3"' in page


def test_unknown_need_type_is_reported(client):
    page = reject(client, phone="13812345678", need_type="castle")
    assert "请从列表中选择" in page


def test_selected_choices_are_kept_after_an_error(client):
    page = reject(client, phone="12345", need_type="warehouse", deal="buy")
    assert '<option value="warehouse" selected>' in page
    assert '<option value="buy" selected>' in page


def test_error_page_keeps_the_language(client):
    page = reject(client, lang="en", phone="12345")
    assert EN_SUBMIT in page
    assert "Please correct the following" in page


def test_filled_honeypot_is_rejected_and_nothing_written(client):
    reject(client, phone="13812345678", website="http://spam.example")


def test_script_tags_are_escaped_when_the_form_is_re_rendered(client):
    script = "<script>alert(1)</script>"
    page = reject(client, phone="12345", company=script, contact_name='"><img src=x onerror=2>',
                  message=f"</textarea>{script}", utm_source=f'"{script}')  # fmt: skip
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;/textarea&gt;" in page


# --- 更多要求: the lead's requirements for matching (docs/listings.md) ------------------------


def test_the_more_requirements_section_stores_what_matching_reads(client):
    page = client.get("/enquiry").get_data(as_text=True)
    assert "更多要求" in page
    response = submit(
        client, need_type="factory", phone="13907331234", ceiling_height_min_m="8",
        crane_t="10", power_kva="630", floor_load_t_m2="3", eia_category="喷涂",
        budget_rent_yuan_m2_month="18",
    )  # fmt: skip
    assert response.status_code == 201
    lead = db.session.scalars(select(Lead)).one()
    assert lead.ceiling_height_min_m == Decimal("8")
    assert lead.crane_t == Decimal("10")
    assert lead.power_kva == 630
    assert lead.eia_category == "喷涂"
    assert lead.budget_rent_yuan_m2_month == Decimal("18")


def test_an_absurd_requirement_is_refused_in_the_open_section_and_kept(client):
    page = reject(client, need_type="factory", phone="13907331234", ceiling_height_min_m="200")
    assert re.search(r'<details id="more"\s+open', page)
    assert 'value="200"' in page


def test_the_forms_message_fills_what_was_left_blank(client, agent):
    response = submit(
        client, phone="13912345678", message="想在芦淞区租3000平厂房，做汽车零部件，联系人陈先生"
    )
    assert response.status_code == 201
    lead = db.session.scalars(select(Lead).where(Lead.phone == "+8613912345678")).one()
    assert (lead.need_type.value, lead.area_min_m2, lead.district) == (
        "factory",
        Decimal(3000),
        "芦淞区",
    )
    assert (lead.industry, lead.contact_name) == ("汽车零部件", "陈先生")
