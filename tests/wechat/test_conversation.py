"""The WeChat bot's conversation (docs/wechat-bot.md): the pure state machine, then the service
that keeps its state in the database and turns a finished draft into a lead."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.core.db import db, utcnow
from app.devtools.simulator import (
    build_click_xml,
    build_scan_xml,
    build_subscribe_xml,
    build_text_xml,
    reply_text,
)
from app.leads.models import Channel, EventType, Lead, LeadEvent
from app.wechat import conversation as conv
from app.wechat import service
from app.wechat.answers import Entry, Knowledge
from app.wechat.callback import Delivery, parse_xml
from app.wechat.conversation import (
    Incoming,
    Kind,
    LeadAction,
    LeadRef,
    State,
    render_reply,
    step,
)
from app.wechat.models import WechatUser
from app.wechat.parsing import load_districts, parse_enquiry

DISTRICTS = load_districts("zhuzhou")
OPENID = "oProspect000000000000000001"


def text(message: str) -> Incoming:
    return Incoming(Kind.TEXT, text=message, parsed=parse_enquiry(message, DISTRICTS))


def say(state: State, *messages: str) -> tuple[State, list[str]]:
    """Play `messages` through the state machine; the replies as the prospect reads them."""
    replies = []
    for message in messages:
        turn = step(state, text(message))
        state = turn.state
        if turn.lead_action is not LeadAction.NONE and state.lead_id is None:
            state = replace(state, lead_id=1)  # as the service does after saving
            replies.append(render_reply(turn.reply, LeadRef("PL-20261124-0001", True)) or "")
        else:
            replies.append(render_reply(turn.reply, None) or "")
    return state, replies


def subscribed() -> State:
    return step(State(), Incoming(Kind.SUBSCRIBE)).state


# --- the state machine ---------------------------------------------------------------------------


def test_subscribe_greets_and_offers_numbered_choices():
    turn = step(State(), Incoming(Kind.SUBSCRIBE))
    reply = render_reply(turn.reply, None) or ""
    assert "欢迎关注" in reply
    for line in ("1 租厂房", "2 买地", "3 仓库", "4 办公", "5 投资合作"):
        assert line in reply
    assert turn.state.asked == "need"


@pytest.mark.parametrize(
    ("answer", "need", "deal"),
    [
        ("1", "factory", "rent"),
        ("２", "land", "buy"),
        ("选3", "warehouse", None),
        ("四", "office", None),
        ("投资合作", "investment", None),
    ],
)
def test_numbered_or_worded_choice_sets_the_need(answer, need, deal):
    state, _ = say(subscribed(), answer)
    assert state.draft["need_type"] == need
    assert state.draft.get("deal") == deal


def test_questions_follow_need_area_phone_company_contact():
    state = subscribed()
    asked = [state.asked]
    for answer in ("1", "5000平", "13812345678", "湘能电池科技有限公司", "王先生"):
        state, _ = say(state, answer)
        asked.append(state.asked)
    assert asked == ["need", "area", "phone", "company", "contact", None]


def test_every_reply_asks_at_most_one_question():
    _, replies = say(
        subscribed(), "你好", "1", "大概三四千平吧", "13812345678", "跳过", "李女士", "层高8米"
    )
    for reply in replies:
        assert reply.count("？") <= 1, reply


def test_a_full_name_alone_is_the_contact_whatever_was_asked():
    state, replies = say(subscribed(), "租厂房", "3000平", "欧阳晓峰")
    assert state.draft["contact_name"] == "欧阳晓峰"
    assert "没看明白" not in replies[-1]
    assert state.asked == "phone"  # still the question that matters most


def test_a_name_asked_for_the_company_is_the_contact_not_the_firm():
    state, _ = say(subscribed(), "租厂房", "3000平", "13812345678", "王建国")
    assert state.draft["contact_name"] == "王建国"
    assert "company" not in state.draft


@pytest.mark.parametrize(
    ("answer", "name"),
    [
        ("我姓黄叫黄志强", "黄志强"),
        ("免贵姓张，名叫张晓梅", "张晓梅"),
        ("我姓欧阳名文斌", "欧阳文斌"),
    ],
)
def test_a_surname_then_the_name_asked_for_the_company_is_the_contact(answer, name):
    state, _ = say(subscribed(), "租厂房", "3000平", "13812345678", answer)
    assert state.draft["contact_name"] == name
    assert "company" not in state.draft


def test_a_name_beside_the_company_is_the_contact():
    state, _ = say(subscribed(), "租厂房", "3000平", "13812345678", "赵敏 湖南顺达物流有限公司")
    assert state.draft["company"] == "湖南顺达物流有限公司"
    assert state.draft["contact_name"] == "赵敏"


@pytest.mark.parametrize("reply", ["方便", "谢谢你", "高新区", "房租呢", "石峰区", "好的"])
def test_words_that_look_like_names_are_not_taken_as_the_contact(reply):
    state, _ = say(subscribed(), "租厂房", "3000平", reply)
    assert "contact_name" not in state.draft


@pytest.mark.parametrize(
    ("answer", "low", "high"),
    [("两千左右", 2000, 2000), ("一千五", 1500, 1500), ("哦 那我想租一个两千左右的", 2000, 2000),
     ("三千到四千吧", 3000, 4000)],
)  # fmt: skip
def test_an_area_answer_without_its_unit_is_read_in_square_metres(answer, low, high):
    state, _ = say(subscribed(), "租厂房", answer)
    assert (state.draft["area_min_m2"], state.draft.get("area_max_m2")) == (low, high)
    assert state.asked == "phone"


def test_an_area_answer_without_its_unit_is_read_in_mu_for_land():
    state, _ = say(subscribed(), "买地", "五十左右")
    assert state.draft["area_min_m2"] == pytest.approx(50 * 666.67)


def test_a_count_in_an_area_answer_is_not_the_area():
    state, _ = say(subscribed(), "租厂房", "要一个")
    assert "area_min_m2" not in state.draft


@pytest.mark.parametrize(
    "greeting", ["在吗", "在吗？", "你好，在吗", "有人吗", "hello, anyone there?"]
)
def test_asking_whether_anyone_is_there_is_a_greeting_not_a_question_for_an_agent(greeting):
    turn = step(subscribed(), text(greeting))
    assert not turn.state.handover
    assert turn.state.asked == "need"


def test_a_correction_that_opens_the_message_takes_the_old_value_back():
    state, _ = say(subscribed(), "租厂房5000平 芦淞区 13912340109", "不是芦淞，是石峰")
    assert state.draft["district"] == "石峰区"
    state, _ = say(state, "不对，不要厂房，要仓库")
    assert state.draft["need_type"] == "warehouse"


def test_a_latin_name_beside_the_phone_is_the_contact():
    state, _ = say(subscribed(), "We need a factory of 6000 m2", "Erik Larsson, +46 70 123 45 67")
    assert state.draft["contact_name"] == "Erik Larsson"
    state, _ = say(subscribed(), "We need a factory of 6000 m2", "Tianyuan District, 13812345678")
    assert "contact_name" not in state.draft


@pytest.mark.parametrize(
    ("message", "name"),
    [("王建国13812340315", "王建国"), ("Hans Mueller 13812340313", "Hans Mueller"),
     ("嗯 我叫那个 周 周建华 电话是幺三八幺二三四零三幺四", "周建华"),
     ("my name's Jan Novak, mobile 13812340311", "Jan Novak"),
     ("我姓王 王小明 13812340305", "王小明")],
)  # fmt: skip
def test_a_name_beside_the_phone_is_the_contact(message, name):
    state, _ = say(subscribed(), "租厂房 5000平", message)
    assert state.draft["contact_name"] == name
    assert state.draft["phone"].startswith("+86138")


@pytest.mark.parametrize("name", ["Chris Davis", "Marcella Telford", "Tim Cellini"])
def test_english_words_inside_a_name_beside_the_phone_stay_in_it(name):
    state, _ = say(subscribed(), "Factory for rent, 5000 sqm", f"{name}, 13812340320")
    assert state.draft["contact_name"] == name


@pytest.mark.parametrize("message", ["13812340316 谢谢", "电话13812340316，尽快", "刘 13812340317"])
def test_words_beside_the_phone_that_are_no_name_are_not_the_contact(message):
    state, _ = say(subscribed(), "租厂房 5000平", message)
    assert "contact_name" not in state.draft


def test_a_latin_name_given_when_asked_for_the_company_is_the_contact():
    state, _ = say(subscribed(), "We want to buy 50 mu of land", "18612340402", "Anna Kowalski")
    assert state.draft["contact_name"] == "Anna Kowalski"
    assert "company" not in state.draft


def test_a_latin_name_beside_an_english_firm_is_the_contact():
    state, _ = say(
        subscribed(), "Office for rent, 500 sqm", "15012340403", "Lee Min-ho, Hanbit Electronics"
    )
    assert state.draft["company"] == "Hanbit Electronics"
    assert state.draft["contact_name"] == "Lee Min-ho"


@pytest.mark.parametrize(
    ("messages", "category"),
    [(("厂房能办环评吗 我们有喷涂工序",), "喷涂"),
     (("我们是做电镀的，想租厂房", "需要能过环评"), "电镀"),
     (("We need a factory with EIA approval for our electroplating line",), "电镀"),
     (("我们有喷涂工序，想租厂房",), None), (("需要环评", "租厂房"), None)],
)  # fmt: skip
def test_the_eia_category_is_the_work_named_beside_the_eia_need(messages, category):
    state, _ = say(subscribed(), *messages)
    assert state.draft.get("eia_category") == category


def test_land_area_question_is_in_mu_and_a_bare_number_means_mu():
    state, replies = say(subscribed(), "2")
    assert "亩" in replies[0]
    state, _ = say(state, "30")
    assert state.draft["area_min_m2"] == pytest.approx(30 * 666.67)


def test_bare_number_answers_the_area_question_in_square_metres():
    state, _ = say(subscribed(), "1", "5000")
    assert (state.draft["area_min_m2"], state.draft["area_max_m2"]) == (5000, 5000)
    assert state.asked == "phone"


def test_one_sentence_fills_several_fields_and_saves_the_lead():
    turn = step(subscribed(), text("想在芦淞区租5000平厂房，王先生13812345678"))
    draft = turn.state.draft
    assert draft["need_type"] == "factory"
    assert draft["district"] == "芦淞区"
    assert draft["phone"] == "+8613812345678"
    assert turn.lead_action is LeadAction.SAVE
    assert turn.state.asked == "company"  # contact is already known


def test_correction_replaces_the_whole_area():
    state, _ = say(subscribed(), "1", "3000-5000平")
    state, replies = say(state, "不对,是8000平")
    assert (state.draft["area_min_m2"], state.draft["area_max_m2"]) == (8000, 8000)
    assert "已更正" in replies[0]


def test_a_stated_need_is_not_replaced_by_the_guess_from_mu():
    state, _ = say(subscribed(), "1", "不对，要30亩")
    assert state.draft["need_type"] == "factory"
    assert state.draft["area_min_m2"] == pytest.approx(20000.1)


def test_a_later_stated_need_corrects_the_earlier_one():
    state, _ = say(subscribed(), "1", "改成租仓库")
    assert state.draft["need_type"] == "warehouse"


def test_skip_moves_on_to_the_next_question():
    state, _ = say(subscribed(), "1", "5000平", "13812345678", "跳过")
    assert "company" in state.skipped
    assert state.asked == "contact"


def test_invalid_phone_is_asked_for_again():
    state, replies = say(subscribed(), "1", "5000平", "1381234")
    assert "号码好像不对" in replies[-1]
    assert state.asked == "phone"
    assert "phone" not in state.draft


def test_unreadable_answer_repeats_the_question():
    state, replies = say(subscribed(), "1", "啊这个嘛")
    assert "没看明白" in replies[-1]
    assert state.asked == "area"


@pytest.mark.parametrize("message", ["好的", "嗯嗯", "可以", "稍等", "OK", "hold on"])
@pytest.mark.parametrize("asked", ["company", "contact"])
def test_an_acknowledgement_is_not_an_answer(message, asked):
    """ "好的" after "请问贵公司名称是？" is not the company's name, nor the contact's."""
    messages = ["1", "5000平", "13812345678"] + (
        ["湖南湘能科技有限公司"] if asked == "contact" else []
    )
    state, _ = say(subscribed(), *messages)
    assert state.asked == asked
    state, replies = say(state, message)
    assert "company" not in state.draft or state.draft["company"] == "湖南湘能科技有限公司"
    assert "contact_name" not in state.draft
    assert state.asked == asked  # the question stands, asked again
    assert "没看明白" not in replies[-1]


@pytest.mark.parametrize(
    "message", ["多大都行", "都可以", "面积不限", "无所谓", "any size", "flexible"]
)
def test_no_preference_answers_the_area_question(message):
    state, replies = say(subscribed(), "1", message)
    assert "area" in state.skipped
    assert state.asked == "phone"
    assert "没看明白" not in replies[-1]
    assert "did not understand" not in replies[-1]


def test_a_question_for_an_agent_does_not_stop_the_enquiry():
    """A question nothing answers goes to an agent, and the bot still collects the enquiry:
    it asks what is missing and reads the answers; talk that brings no news is left to the
    agent, unanswered."""
    turn = step(State(), text("你们园区有哪些产业？"))
    assert turn.lead_action is LeadAction.NONE  # no phone yet: nothing to save (spec §6)
    assert not turn.state.question_open
    assert "手机号" in (render_reply(turn.reply, None) or "")
    assert turn.state.asked == "need"  # and the enquiry's first question

    state, replies = say(turn.state, "我们想租厂房，3000平左右")
    assert "3000" in replies[-1]
    assert "手机号" in replies[-1]
    state, replies = say(state, "13812345678")
    assert state.draft["phone"] == "+8613812345678"
    assert state.asked == "company"
    turn = step(state, text("园区有哪些产业？"))
    assert turn.record["handover"]  # the lead is saved: an agent answers it
    state = turn.state
    assert state.question_open
    assert not state.handover

    for chatter in ("好的", "谢谢", "那你们有食堂吗？", "啊这个嘛"):
        turn = step(state, text(chatter))
        assert turn.reply is None, chatter  # the agent's to answer
        assert turn.record == {"text": chatter}
        state = turn.state

    turn = step(state, text("转人工"))  # asking for a person still hands over outright
    assert turn.state.handover


def test_a_question_in_english_is_passed_on_in_english():
    _state, replies = say(State(), "What industries are in your park?")
    assert "investment officer" in replies[0]
    assert "Which do you need" in replies[0]


@pytest.mark.parametrize("message", ["转人工", "人工", "人工客服", "找专员", "能不能转人工？"])
def test_handover_request_hands_over(message):
    turn = step(subscribed(), text(message))
    assert turn.lead_action is LeadAction.HANDOVER
    assert turn.state.handover
    assert "转接招商专员" in (render_reply(turn.reply, LeadRef("PL-1", True)) or "")


def test_handover_keeps_what_else_the_message_says():
    turn = step(subscribed(), text("转人工，我电话13812345678"))
    assert turn.lead_action is LeadAction.HANDOVER
    assert turn.state.draft["phone"] == "+8613812345678"


def test_after_handover_the_bot_records_and_stays_silent():
    state = step(subscribed(), text("转人工")).state
    turn = step(state, text("我的电话13812345678"))
    assert turn.reply is None
    assert turn.record is not None
    assert turn.record["text"] == "我的电话13812345678"
    assert turn.changes == {"phone": "+8613812345678"}


def test_lead_is_saved_once_when_need_and_phone_are_known():
    state = subscribed()
    first = step(state, text("租厂房 13812345678"))
    assert first.lead_action is LeadAction.SAVE
    later = step(replace(first.state, lead_id=7), text("5000平"))
    assert later.lead_action is LeadAction.NONE
    assert later.changes == {"area_min_m2": 5000, "area_max_m2": 5000}


def test_declined_phone_saves_the_lead_once_nothing_is_left_to_ask():
    state, _ = say(subscribed(), "1", "5000平", "不方便", "湘能科技")
    assert state.lead_id is None
    turn = step(state, text("王先生"))
    assert turn.lead_action is LeadAction.SAVE


def test_saved_reply_gives_the_reference_and_what_happens_next():
    turn = step(subscribed(), text("想租厂房，13812345678"))
    reply = render_reply(turn.reply, LeadRef("PL-20261124-0007", created=True)) or ""
    assert "PL-20261124-0007" in reply
    assert "招商专员会尽快联系您" in reply


def test_menu_click_sets_the_need():
    turn = step(State(), Incoming(Kind.CLICK, key="NEED_FACTORY"))
    assert turn.state.draft["need_type"] == "factory"
    assert turn.state.asked == "area"


def test_menu_contact_agent_hands_over():
    turn = step(State(), Incoming(Kind.CLICK, key="CONTACT_AGENT"))
    assert turn.lead_action is LeadAction.HANDOVER


def test_unknown_menu_key_offers_the_choices():
    turn = step(State(), Incoming(Kind.CLICK, key="SOMETHING_NEW"))
    assert "1 租厂房" in (render_reply(turn.reply, None) or "")


def test_voice_without_transcription_asks_to_type_and_repeats_the_question():
    reply = render_reply(step(subscribed(), Incoming(Kind.VOICE)).reply, None) or ""
    assert "打字" in reply
    assert "1 租厂房" in reply


def test_location_fills_the_district_only():
    label = "湖南省株洲市芦淞区建设南路88号"
    incoming = Incoming(
        Kind.LOCATION, text=label, parsed=parse_enquiry(label, DISTRICTS), media="location"
    )
    turn = step(subscribed(), incoming)
    assert turn.changes == {"district": "芦淞区"}


def test_state_survives_a_json_round_trip():
    state, _ = say(subscribed(), "1", "5000平", "跳过")
    assert State.from_json(state.to_json()) == state


def test_unreadable_stored_state_starts_afresh():
    assert State.from_json({"draft": "nonsense", "asked": "bogus", "lead_id": "x"}) == State()
    assert State.from_json(None) == State()


# --- the service: state in the database, leads ------------------------------------------------


def deliver(xml: str) -> str:
    """Hand one delivery to the service as the callback would; the reply's text."""
    return reply_text(service.receive(Delivery(parse_xml(xml), xml)))[1]


def chat(*messages: str, openid: str = OPENID) -> list[str]:
    return [deliver(build_text_xml(openid, m)) for m in messages]


def user(openid: str = OPENID) -> WechatUser:
    return db.session.scalars(select(WechatUser).where(WechatUser.openid == openid)).one()


def wechat_leads() -> list[Lead]:
    return list(db.session.scalars(select(Lead).where(Lead.channel == Channel.WECHAT)))


def events(lead: Lead, kind: EventType) -> list[LeadEvent]:
    stmt = select(LeadEvent).where(LeadEvent.lead_id == lead.id, LeadEvent.type == kind)
    return list(db.session.scalars(stmt.order_by(LeadEvent.id)))


def test_completion_creates_a_wechat_lead_with_the_parsed_fields(app, agent):
    replies = chat("我们做新能源电池，想在芦淞区租3000-5000平厂房", "13812345678")
    [lead] = wechat_leads()
    assert lead.reference in replies[-1]
    assert (lead.need_type.value, lead.deal.value, lead.district) == ("factory", "rent", "芦淞区")
    assert (lead.area_min_m2, lead.area_max_m2) == (Decimal("3000"), Decimal("5000"))
    assert lead.industry == "新能源电池"
    assert lead.phone == "+8613812345678"
    assert lead.wechat_openid == OPENID
    assert "想在芦淞区租" in (lead.message or "")
    assert lead.agent_id == agent.id  # routed after the commit (embedded mode)


def test_later_messages_update_the_lead_with_field_changed_events(app):
    chat("租厂房 13812345678", "湘能电池科技有限公司", "不对，面积是8000平")
    [lead] = wechat_leads()
    assert lead.company == "湘能电池科技有限公司"
    assert lead.area_min_m2 == Decimal("8000")
    changed = {e.data["field"] for e in events(lead, EventType.FIELD_CHANGED)}
    assert changed == {"company", "area_min_m2", "area_max_m2"}
    last_message = events(lead, EventType.MESSAGE_IN)[-1]
    assert last_message.data["text"] == "不对，面积是8000平"


def test_handover_records_on_the_lead_and_later_messages_are_not_answered(app):
    replies = chat("想买地", "转人工", "我们大概要五十亩")
    [lead] = wechat_leads()  # created without a phone so an agent can take over at once
    assert lead.reference in replies[1]
    assert replies[2] == ""
    texts = [e.data for e in events(lead, EventType.MESSAGE_IN)]
    assert any(d.get("handover") for d in texts)
    assert texts[-1]["text"] == "我们大概要五十亩"
    assert lead.area_min_m2 == Decimal("33333.50")  # filled silently for the agent


def test_conversation_state_is_kept_in_the_database(app):
    chat("租厂房")
    db.session.expire_all()
    stored = State.from_json(user().conversation)
    assert stored.draft["need_type"] == "factory"
    assert stored.asked == "area"


def test_conversation_older_than_48_hours_starts_a_new_draft(app):
    chat("租厂房")
    user().conversation_expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    replies = chat("13812345678")
    assert wechat_leads() == []  # the old draft's need is gone: no lead from a phone alone
    assert "1 租厂房" in replies[0]


def test_every_message_extends_the_conversation_by_48_hours(app):
    before = utcnow()
    chat("租厂房")
    expires = user().conversation_expires_at
    assert expires is not None
    window = dt.timedelta(hours=48)
    assert before + window <= expires <= utcnow() + window


def test_inbound_message_opens_the_customer_service_window(app):
    chat("你好")
    db.session.expire_all()
    follower = user()
    assert follower.last_inbound_at is not None
    assert follower.cs_sent_in_window == 0


@pytest.mark.parametrize(
    "xml",
    [
        build_click_xml(OPENID, "NEED_FACTORY"),
        build_subscribe_xml(OPENID),
        build_scan_xml(OPENID, "expo"),
    ],
)
def test_a_click_follow_or_scan_opens_the_one_minute_window_only(app, xml):
    deliver(xml)
    db.session.expire_all()
    follower = user()
    assert follower.last_event_at is not None
    assert follower.cs_sent_after_event == 0
    assert follower.last_inbound_at is None  # 48 hours come only from a message


def test_open_lead_with_the_same_phone_is_not_joined_but_flagged(app, create_lead):
    web = create_lead(phone="13812345678", need_type="factory")
    replies = chat("想租仓库，电话13812345678")
    [own] = wechat_leads()
    db.session.refresh(web)
    assert web.reference not in replies[0]
    assert own.reference in replies[0]
    assert "已在跟进中" not in replies[0]
    assert web.wechat_openid is None
    assert not events(web, EventType.ENQUIRY)
    assert own.possible_duplicate_of_id == web.id
    assert own.phone is None  # one open lead per phone: the phone is on the flag's event
    [flag] = events(own, EventType.POSSIBLE_DUPLICATE)
    assert flag.data["phone"] == "+8613812345678"


def test_open_lead_of_the_same_openid_gets_the_next_enquiry(app):
    chat("租厂房 13812345678")
    user().conversation_expires_at = utcnow() - dt.timedelta(hours=1)
    db.session.commit()
    chat("想买地，电话13912345678")
    [lead] = wechat_leads()
    assert lead.phone == "+8613812345678"
    assert events(lead, EventType.ENQUIRY)


def test_subscribe_with_qrscene_records_the_scene_on_the_lead_source(app):
    deliver(build_subscribe_xml(OPENID, scene="expo2026_booth7"))
    chat("租厂房 13812345678")
    [lead] = wechat_leads()
    assert lead.source == {"scene": "expo2026_booth7"}
    assert user().first_scene == "expo2026_booth7"


def test_menu_click_then_phone_creates_the_lead_with_that_need(app):
    deliver(build_click_xml(OPENID, "NEED_WAREHOUSE"))
    chat("13812345678")
    [lead] = wechat_leads()
    assert lead.need_type.value == "warehouse"


def test_menu_keys_are_documented_in_the_module():
    for key in (*conv.MENU_NEEDS, conv.MENU_HANDOVER, conv.MENU_START):
        assert key in (conv.__doc__ or "")


def test_agent_is_told_when_a_prospect_asks_for_a_human(client, app, agent, monkeypatch):
    """After 人工 the bot goes quiet; the agent hears of it and of each later message."""
    from sqlalchemy import select

    from app.core.db import db
    from app.devtools.simulator import build_text_xml, sign_delivery
    from app.leads.models import Lead
    from app.notifications.models import Notification

    agent.email = "zhang@example.com"
    db.session.commit()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")

    def say(text: str, msg_id: int) -> None:
        xml = build_text_xml("o-handover", text, msg_id=msg_id)
        delivery = sign_delivery(xml, token=app.config["WECHAT_TOKEN"], openid="o-handover")
        response = client.post(
            "/wechat/callback",
            query_string=delivery.params,
            data=delivery.body,
            content_type="text/xml",
        )
        assert response.status_code == 200

    say("想租5000平厂房，电话13812345678", 1)
    say("转人工", 2)
    say("人工", 2)  # WeChat's retry of the same message
    say("价格能便宜点吗", 3)
    lead = db.session.scalars(select(Lead).where(Lead.wechat_openid == "o-handover")).one()
    assert lead.agent_id == agent.id
    kinds = sorted(
        db.session.scalars(
            select(Notification.kind).where(
                Notification.lead_id == lead.id, Notification.kind.like("wechat_%")
            )
        )
    )
    assert kinds == ["wechat_handover", "wechat_message"]


@pytest.mark.parametrize(
    "message",
    ["不留电话了 你们有合适的发我就行", "电话就不留了", "I'd rather not give my phone number yet"],
)
def test_declining_a_phone_is_heard_and_the_enquiry_goes_on(message):
    state, _ = say(subscribed(), "3", "800平")
    assert state.asked == "phone"
    state, replies = say(state, message)
    assert "phone" in state.skipped
    assert state.asked == "company"  # not the phone again
    assert "没看明白" not in replies[-1]
    assert "did not understand" not in replies[-1]
    state, _ = say(state, "跳过", "跳过")
    assert state.lead_id is not None  # nothing left to ask: saved without a phone


def test_a_wechat_id_is_kept_and_the_phone_still_asked_for():
    """The spec saves a WeChat lead once need and phone are known: a WeChat ID goes on the
    draft (and the lead) but does not stand for the phone."""
    state, replies = say(subscribed(), "1", "3000平", "我微信号是 zhangsan_1988 加我微信聊")
    assert state.draft["wechat_id"] == "zhangsan_1988"
    assert "微信号：zhangsan_1988" in replies[-1]
    assert state.lead_id is None
    assert state.asked == "phone"
    state, _ = say(state, "13812345678")
    assert state.lead_id is not None


def test_a_firm_named_with_its_trade_answers_the_company_question():
    state, _ = say(subscribed(), "1", "3000平", "13812345678")
    assert state.asked == "company"
    state, _ = say(state, "株洲华锐机械")
    assert state.draft["company"] == "株洲华锐机械"
    assert state.draft["industry"] == "机械"
    other, _ = say(subscribed(), "1", "3000平", "13812345678", "我们是做机械加工的")
    assert "company" not in other.draft  # a sentence about the trade names no firm


def test_corrections_after_the_lead_is_saved_change_it_and_name_no_firm():
    state, _ = say(subscribed(), "想买厂房 5000平 13812340011")
    assert state.asked == "company"
    state, _ = say(state, "不对，是租不是买", "区域改成天元区", "面积改成8000")
    assert state.draft["deal"] == "rent"
    assert state.draft["district"] == "天元区"
    assert state.draft["area_min_m2"] == 8000
    assert "company" not in state.draft  # "区域改成天元区" answers no company question


@pytest.mark.parametrize(
    ("second", "said"),
    [("另外我们还需要一个仓库 1000平", "仓库"), ("we also need an office of 200 sqm", "office")],
)
def test_a_second_need_is_passed_on_and_the_first_kept(second, said):
    first = (
        "租厂房3000平 13812340001" if "仓库" in second else "need a factory 3000 sqm, 13812340001"
    )
    state, _ = say(subscribed(), first)
    assert state.lead_id is not None
    turn = step(state, text(second))
    assert turn.state.draft["need_type"] == "factory"
    assert turn.state.draft["area_min_m2"] == 3000
    assert turn.record["another_need"]["need_type"] in ("warehouse", "office")
    assert said in (render_reply(turn.reply, None) or "")
    corrected, _ = say(state, "不对，是仓库")  # a correction still corrects
    assert corrected.draft["need_type"] == "warehouse"


def test_english_introductions_and_amounts_read_naturally():
    state, replies = say(subscribed(), "need a warehouse 1500 sqm", "13812345602")
    assert state.asked == "company"
    state, _ = say(state, "It's Karen")
    assert state.draft.get("contact_name") == "Karen"
    assert "company" not in state.draft
    _, replies = say(
        subscribed(),
        "We need 40 mu of land, investment RMB 300 million, annual tax RMB 20 million, "
        "Apex Components Ltd.",
    )
    assert "RMB 300,000,000" in replies[-1]
    assert "RMB 20,000,000" in replies[-1]
    assert "Ltd.." not in replies[-1]


def test_chinese_amounts_are_acknowledged_in_wan_and_yi():
    _, replies = say(subscribed(), "想买地50亩，投资1.5亿，年税收3000万")
    assert "投资约1.5亿" in replies[-1]
    assert "年税收约3000万" in replies[-1]


@pytest.mark.parametrize(
    ("message", "said"),
    [("请问你们是做什么的", "招商服务号"), ("你们是谁", "招商服务号"),
     ("What is this account about?", "investment promotion account")],
)  # fmt: skip
def test_what_the_account_is_the_bot_answers_itself(message, said):
    turn = step(subscribed(), text(message))
    assert said in (render_reply(turn.reply, None) or "")
    assert turn.lead_action is LeadAction.NONE  # no agent needed for that
    assert not turn.state.question_open


@pytest.mark.parametrize(
    ("message", "said"),
    [("请问你们周末上班吗", "工作日 08:30-17:30"), ("你们几点下班？", "工作日 08:30-17:30"),
     ("Are you open on weekends?", "work 08:30-17:30 (China time) on working days")],
)  # fmt: skip
def test_office_hours_are_answered_from_the_settings_without_an_agent(message, said):
    known = Knowledge(office_hours=(("08:30", "17:30"),))
    turn = step(subscribed(), text(message), known)
    assert said in (render_reply(turn.reply, None) or "")
    assert turn.lead_action is LeadAction.NONE  # no lead, no agent for that
    assert not turn.state.question_open


def test_an_admins_answer_about_hours_comes_before_the_settings():
    entry = Entry("other", ("周末",), "周末也有值班专员：13800000000", "")
    turn = step(subscribed(), text("周末上班吗"), Knowledge(entries=(entry,)))
    assert "值班专员" in (render_reply(turn.reply, None) or "")


@pytest.mark.parametrize("message", ["我们上班时间比较忙，晚上联系", "工作时间我们都在工厂"])
def test_hours_told_not_asked_are_no_office_hours_question(message):
    turn = step(subscribed(), text(message), Knowledge())
    assert "上班时间是" not in (render_reply(turn.reply, None) or "")


@pytest.mark.parametrize(
    ("messages", "seats"),
    [(["想要孵化器工位", "5个工位"], 5), (["需要孵化器的工位，大概十来个人"], 10),
     (["We need desks in an incubator", "8 desks"], 8)],
)  # fmt: skip
def test_desks_answer_the_size_of_an_incubator_need(messages, seats):
    state, replies = say(subscribed(), *messages)
    assert state.draft["seats"] == seats
    assert "area_min_m2" not in state.draft
    assert state.asked == "phone"  # the size is known: no area question after it
    assert str(seats) in replies[-1]


def test_an_incubator_need_is_asked_for_desks_or_area_and_people_are_no_factory_size():
    _, replies = say(subscribed(), "想租孵化器")
    assert "几个工位" in replies[-1]
    state, replies = say(subscribed(), "租厂房", "50个人")
    assert "seats" not in state.draft
    assert state.asked == "area"


def test_a_menu_number_as_a_new_prospects_first_message_is_the_need():
    # The greeting listed the numbers; a conversation that expired no longer knows it asked.
    turn = step(State(), text("2"))
    assert turn.state.draft == {"need_type": "land", "deal": "buy"}
    state, _ = say(subscribed(), "租厂房", "3000平", "13812345678")
    assert step(state, text("2")).state.draft["need_type"] == "factory"  # not once it is known


@pytest.mark.parametrize(
    "answer",
    [
        "黄志强，谢谢",
        "您好，黄志强",
        "黄志强（总经理）",
        "总经理黄志强",
        "黄志强 总经理",
        "黄 志强",
    ],
)
def test_a_full_name_said_with_a_little_more_is_the_contact(answer):
    state, _ = say(subscribed(), "租厂房", "3000平", "13812345678", "跳过", answer)
    assert state.draft["contact_name"] == "黄志强"


@pytest.mark.parametrize(
    ("answer", "name"),
    [("Anna, thanks", "Anna"), ("Thanks, Tom", "Tom"), ("Hello, Sarah Connor", "Sarah Connor"),
     ("Purchasing manager Anna Schmidt", "Anna Schmidt")],
)  # fmt: skip
def test_a_latin_name_said_with_a_little_more_is_the_contact(answer, name):
    state, _ = say(subscribed(), "We need a factory", "5000 sqm", "13812345678", "skip", answer)
    assert state.draft["contact_name"] == name


@pytest.mark.parametrize(
    ("name", "mended", "expected"),
    [
        ("我叫陈晓", "噢打错了，应该是陈骁", "陈骁"),
        ("周敏", "不好意思写错了，是周闽", "周闽"),
        ("Lena Fisher", "sorry, typo: it's Lena Fischer", "Lena Fischer"),
        ("Grace", "sorry, Grace Park", "Grace Park"),
    ],
)
def test_a_name_mended_right_after_it_was_given(name, mended, expected):
    state, replies = say(subscribed(), "租厂房 800平", "13812345678", name, mended)
    assert state.draft["contact_name"] == expected
    assert "没看明白" not in replies[-1]


def test_a_mended_word_that_is_no_name_leaves_the_contact():
    state, _ = say(subscribed(), "租厂房 800平", "13812345678", "周敏", "写错了，是厂房")
    assert state.draft["contact_name"] == "周敏"


def test_an_office_block_beside_the_area_keeps_the_factory_need():
    state, replies = say(
        subscribed(), "We'd like to buy a factory", "About 9,000 sqm, with an office block"
    )
    assert state.draft["need_type"] == "factory"
    assert "Corrected" not in replies[-1]


@pytest.mark.parametrize(
    "answer", ["不方便说公司", "公司暂时保密", "公司名字就不说了", "I'd rather not say", "N/A"]
)
def test_declining_to_name_the_company_skips_the_question(answer):
    state, _ = say(subscribed(), "租仓库 2000平", "18174112233", answer)
    assert "company" not in state.draft
    assert state.asked == "contact"


@pytest.mark.parametrize("answer", ["个人", "还没注册公司", "self-employed", "private person"])
def test_no_firm_to_name_is_no_company(answer):
    state, _ = say(subscribed(), "租办公室 60平", "17773312345", answer)
    assert "company" not in state.draft
    assert state.asked == "contact"


def test_a_question_that_repeats_what_we_know_goes_to_an_agent():
    _, replies = say(
        subscribed(), "Do you have warehouses to lease?", "4000 sqm", "what's the rent?"
    )
    assert "already" not in replies[-1]
    assert "investment officer will answer" in replies[-1]


@pytest.mark.parametrize(
    ("answer", "ack"), [("号码待会发你", "方便时"), ("I'll send my number later", "whenever")]
)
def test_a_phone_promised_for_later_is_acknowledged(answer, ack):
    state, replies = say(subscribed(), "租仓库 900平", answer)
    assert ack in replies[-1]
    assert "没看明白" not in replies[-1]
    assert "did not understand" not in replies[-1]
    assert state.asked == "phone"


@pytest.mark.parametrize(
    ("signature", "name", "company"),
    [
        ("Priya Nair, founder of Cobalt Sensors", "Priya Nair", "Cobalt Sensors"),
        ("Jonas Weber / Weber Antriebe GmbH", "Jonas Weber", "Weber Antriebe GmbH"),
        ("Kestrel Freight Ltd — Owen Hart", "Owen Hart", "Kestrel Freight Ltd"),
        ("Chen Yu, VP Operations, Lattice Robotics Inc.", "Chen Yu", "Lattice Robotics Inc."),
        ("thx! Mara Jovic", "Mara Jovic", None),
        ("我是 Lucas Zhou", "Lucas Zhou", None),
        ("Inês Costa, Lusitania Cork Lda.", "Inês Costa", "Lusitania Cork Lda."),
    ],
)
def test_an_english_signature_gives_the_name_and_the_firm(signature, name, company):
    state, _ = say(subscribed(), "We need a warehouse of 3,000 sqm", "13812345678", signature)
    assert state.draft["contact_name"] == name
    assert state.draft.get("company") == company


@pytest.mark.parametrize("message", ["Cold Storage Warehouse", "Tianyuan District, please"])
def test_words_of_the_enquiry_are_no_signature(message):
    state, _ = say(subscribed(), "We need some space", "13812345678", message)
    assert "contact_name" not in state.draft


@pytest.mark.parametrize(
    ("first", "mended", "low", "high"),
    [
        ("租仓库，1200平左右", "sorry, I meant 2,100, not 1,200", 2100, 2100),
        ("想租四千平的厂房", "不是四千是七千", 7000, 7000),
        ("warehouse to lease, 900 sqm", "sorry 不是900, 是 1500", 1500, 1500),
        ("factory, 8,000 sqm or more", "Sorry, I meant 8,000 to 9,000, not 'or more'", 8000, 9000),
    ],
)
def test_an_area_mended_without_its_unit(first, mended, low, high):
    state, replies = say(subscribed(), first, mended)
    assert (state.draft["area_min_m2"], state.draft["area_max_m2"]) == (low, high)
    assert "没看明白" not in replies[-1]
    assert "did not understand" not in replies[-1]


def test_the_groups_of_a_phone_number_are_no_area():
    state, _ = say(subscribed(), "Do you have factories for sale?", "ok thanks. 138 8052 2620")
    assert state.draft["phone"] == "+8613880522620"
    assert "area_min_m2" not in state.draft


def test_a_range_answering_the_area_question_is_no_phone():
    state, _ = say(subscribed(), "仓库 求租", "3000-5000")
    assert (state.draft["area_min_m2"], state.draft["area_max_m2"]) == (3000, 5000)


def test_thanks_answering_the_company_question_is_no_company():
    state, _ = say(subscribed(), "租仓库 2000平", "13991271950", "OK 谢谢")
    assert "company" not in state.draft


def test_a_contact_named_again_at_the_end_of_a_sentence_replaces_the_first():
    state, _ = say(
        subscribed(), "租孵化器工位 50平", "19881541823", "联系人写刘佳",
        "哦不好意思，联系人写我们负责人吧，罗晓峰",
    )  # fmt: skip
    assert state.draft["contact_name"] == "罗晓峰"
    assert "company" not in state.draft
