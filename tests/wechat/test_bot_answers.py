"""The bot answers questions (docs/wechat-bot.md): the admin's knowledge base (policies,
location, transport, rent and price), prices from the listings hook, lost leads after one
confirmation, English in → English out, and questions nobody here can answer go to an agent.
All through the WeChat callback, as a prospect would meet them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.db import db
from app.devtools.simulator import build_text_xml, build_voice_xml
from app.leads.models import Channel, EventType, Lead, LeadEvent, LeadStatus
from app.wechat import answers
from tests.web.pages import csrf_token, page_client
from tests.wechat.test_callback import OPENID, post, text_of

NOT_UNDERSTOOD = "没看明白"


def say(client, message: str, *, voice: bool = False) -> str:
    xml = build_voice_xml(OPENID, message) if voice else build_text_xml(OPENID, message)
    return text_of(post(client, xml))


def wechat_lead() -> Lead:
    return db.session.scalars(select(Lead).where(Lead.channel == Channel.WECHAT)).one()


@pytest.fixture(autouse=True)
def no_price_lookup():
    """Each test starts without the listings' lookup (the FAQ) and leaves the app's as it was."""
    registered = answers.price_lookup()
    answers.set_price_lookup(None)
    yield
    answers.set_price_lookup(registered)


# --- answers from the knowledge base -----------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("有什么优惠政策吗？", "租金减免"),
        ("园区在哪里？", "株洲"),
        ("离高铁站远不远", "高铁"),
        ("厂房租金多少钱一平？", "元/㎡"),
    ],
)
def test_chinese_questions_get_answers(client, question, expected):
    reply = say(client, question)
    assert expected in reply
    assert NOT_UNDERSTOOD not in reply


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Do you offer tax incentives for foreign investors?", "rent reductions"),
        ("Where is the park located?", "Zhuzhou"),
        ("How far is the airport?", "airport"),
        ("What is the rent for a standard factory?", "per m²"),
    ],
)
def test_english_questions_get_english_answers(client, question, expected):
    reply = say(client, question)
    assert expected in reply
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in reply), reply


def test_a_price_question_keeps_the_fields_it_states_and_asks_the_next_one(client):
    reply = say(client, "想租5000平厂房，租金多少钱一平？")
    assert "元/㎡" in reply
    assert "手机号" in reply  # need and area known: the phone is next


def test_price_answers_come_from_listings_when_the_hook_knows(client):
    seen = []

    def lookup(question: answers.PriceQuestion) -> str | None:
        seen.append(question)
        return "芦淞区现有标准厂房 18 元/㎡·月（3 处）。" if question.lang == "zh" else None

    answers.set_price_lookup(lookup)
    reply = say(client, "芦淞区厂房租金多少钱一平？")
    assert "18 元/㎡·月" in reply
    assert (seen[0].need_type, seen[0].deal, seen[0].district) == ("factory", "rent", "芦淞区")


def test_a_broken_price_hook_falls_back_to_the_faq(client):
    def lookup(question: answers.PriceQuestion) -> str | None:
        raise RuntimeError("listings are down")

    answers.set_price_lookup(lookup)
    assert "元/㎡" in say(client, "厂房租金多少钱？")


def test_an_edited_answer_is_what_the_bot_says(client, admin, token_for):
    headers = token_for(admin)
    items = client.get("/api/bot-answers", headers=headers).get_json()["items"]
    policy = next(i for i in items if i["topic"] == "policy")
    response = client.patch(
        f"/api/bot-answers/{policy['id']}",
        json={"answer_zh": "新政策：前三年租金全免。"},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    assert "前三年租金全免" in say(client, "有什么优惠政策？")


def test_a_question_nothing_answers_is_handed_over_politely(client):
    reply = say(client, "租厂房，3000平，电话13812345678")
    assert "PL-" in reply
    reply = say(client, "你们园区食堂几点开饭？")
    assert "转给招商专员" in reply
    assert NOT_UNDERSTOOD not in reply
    assert wechat_lead().status in (LeadStatus.NEW, LeadStatus.ASSIGNED)


def test_a_question_before_a_phone_asks_for_one_and_saves_no_lead(client):
    """A lead is need + phone (spec §6): an agent can answer once the prospect leaves one."""
    reply = say(client, "你们园区食堂几点开饭？")
    assert "招商专员" in reply
    assert "手机号" in reply
    assert NOT_UNDERSTOOD not in reply
    assert db.session.scalars(select(Lead)).first() is None


def test_after_a_question_for_an_agent_the_bot_still_takes_the_enquiry(client):
    """The prospect who opens with a question the bot cannot answer is not left in silence:
    the bot goes on collecting the enquiry, the lead it saves carries the question for the
    agent, and once a lead exists what the bot cannot read is left to the agent,
    unanswered but on the lead."""
    first = say(client, "你们园区主要有哪些产业？")
    assert "招商专员" in first
    second = say(client, "我们想租个厂房，3000平左右")
    assert "3000" in second
    assert "手机号" in second
    third = say(client, "13812345678")
    assert "公司" in third
    assert "转给招商专员" in say(client, "你们有食堂吗？")
    assert say(client, "好的") == ""  # for the agent
    lead = wechat_lead()
    assert (lead.need_type.value, lead.area_min_m2, lead.phone) == (
        "factory",
        3000,
        "+8613812345678",
    )
    events = list(
        db.session.scalars(
            select(LeadEvent).where(
                LeadEvent.lead_id == lead.id, LeadEvent.type == EventType.MESSAGE_IN
            )
        )
    )
    said = [(e.data or {}).get("conversation") or [] for e in events]
    assert any("你们园区主要有哪些产业？" in talk for talk in said)  # the first question
    messages = [(e.data or {}).get("text") for e in events]
    assert {"你们有食堂吗？", "好的"} <= set(messages)


def test_an_english_question_nothing_answers_is_handed_over_in_english(client):
    reply = say(client, "Is there a canteen in the park?")
    assert "investment officer" in reply


# --- language ----------------------------------------------------------------------------------


def test_english_in_english_out_through_the_whole_enquiry(client):
    first = say(client, "Hello, we need a factory of about 8,000 sqm to lease.")
    assert "Noted" in first
    assert "phone" in first
    second = say(client, "+41 44 668 18 00")  # no words: the language is remembered
    assert "registered as PL-" in second
    lead = wechat_lead()
    assert (lead.need_type.value, lead.deal.value, lead.phone) == (
        "factory",
        "rent",
        "+41446681800",
    )


def test_a_voice_message_in_english_is_read_like_text(client):
    reply = say(client, "We are looking for a warehouse of 3000 square meters", voice=True)
    assert "warehouse" in reply
    assert "Noted" in reply


def test_chinese_after_english_switches_back(client):
    assert "Noted" in say(client, "We need an office")
    assert "手机号" in say(client, "我们想在天元区，300平左右")


# --- a lead the prospect no longer needs -------------------------------------------------------


@pytest.mark.parametrize(
    ("no_longer", "yes"),
    [("不考虑了，谢谢", "是"), ("已经找到了", "对的"), ("Thanks, we already found a site.", "yes")],
)
def test_lost_after_one_confirmation(client, no_longer, yes):
    say(client, "想租3000平厂房，电话13812345678")
    asked = say(client, no_longer)
    assert wechat_lead().is_open
    assert "是" in asked or "yes" in asked
    done = say(client, yes)
    lead = wechat_lead()
    assert lead.status is LeadStatus.LOST
    assert no_longer in (lead.lost_reason or "")
    assert "不再打扰" in done or "not bother" in done


def test_lost_not_confirmed_keeps_the_lead_open(client):
    say(client, "想租3000平厂房，电话13812345678")
    say(client, "不考虑了")
    say(client, "等等，还是要的，面积改成5000平")
    lead = wechat_lead()
    assert lead.is_open
    assert float(lead.area_min_m2) == 5000


# --- stated fields are not overwritten by a weaker reading --------------------------------------


def test_tax_and_investment_later_do_not_turn_land_into_investment(client):
    say(client, "想买30亩工业用地，电话13812345678")
    say(client, "税收一年能有500万左右，投资1.2个亿")
    lead = wechat_lead()
    assert lead.need_type.value == "land"
    assert lead.deal.value == "buy"
    assert (float(lead.tax_wan), float(lead.investment_wan)) == (500, 12000)


def test_a_stated_rent_is_not_replaced_by_the_land_default(client):
    say(client, "想租块地，电话13812345678")
    say(client, "大概30亩")
    assert wechat_lead().deal.value == "rent"


# --- the admin API and page --------------------------------------------------------------------


def test_admin_api_creates_lists_and_deletes_answers(client, admin, token_for):
    headers = token_for(admin)
    created = client.post(
        "/api/bot-answers",
        json={"topic": "other", "keywords": "食堂, canteen", "answer_zh": "园区有食堂，7点到19点。",
              "answer_en": "The park has a canteen, open 7:00-19:00."},
        headers=headers,
    )  # fmt: skip
    assert created.status_code == 201, created.get_json()
    assert "7点到19点" in say(client, "园区有食堂吗？")
    ids = [i["id"] for i in client.get("/api/bot-answers", headers=headers).get_json()["items"]]
    assert created.get_json()["id"] in ids
    gone = client.delete(f"/api/bot-answers/{created.get_json()['id']}", headers=headers)
    assert gone.status_code == 204


def test_admin_api_refuses_bad_answers_with_field_messages(client, admin, token_for):
    response = client.post(
        "/api/bot-answers", json={"topic": "weather", "keywords": " , ", "answer_zh": ""},
        headers=token_for(admin),
    )  # fmt: skip
    assert response.status_code == 400
    assert {"topic", "keywords", "answer_zh"} <= set(response.get_json()["error"]["fields"])


def test_agents_cannot_edit_answers(client, agent, token_for):
    response = client.get("/api/bot-answers", headers=token_for(agent))
    assert response.status_code == 403


def test_admin_page_lists_and_adds_answers(app, admin):
    pages = page_client(app, admin.login)
    page = pages.get("/app/admin/bot-answers")
    assert page.status_code == 200
    assert "优惠政策" in page.get_data(as_text=True)
    token = csrf_token(pages, "/app/admin/bot-answers")
    response = pages.post(
        "/app/admin/bot-answers",
        data={"csrf_token": token, "topic": "other", "keywords": "停车, parking",
              "answer_zh": "园区停车免费。", "answer_en": "Parking is free.", "active": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    assert "园区停车免费" in pages.get("/app/admin/bot-answers").get_data(as_text=True)


def test_admin_page_is_for_admins_only(app, agent):
    assert page_client(app, agent.login).get("/app/admin/bot-answers").status_code == 403


def test_office_hours_come_from_the_settings_and_save_no_lead(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WORKING_HOURS", (("08:00", "11:30"), ("14:00", "17:30")))
    reply = say(client, "请问你们周末上班吗？")
    assert "08:00-11:30、14:00-17:30" in reply
    assert "转给招商专员" not in reply
    assert db.session.scalars(select(Lead)).first() is None  # nobody needed for that
