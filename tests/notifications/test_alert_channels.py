"""企业微信, 钉钉 and SMS alerts, sent through the outbox over real HTTP to their fakes
(app/devtools/fake_channels.py), and an agent's channel order and events."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from app.accounts.alerts import notify_agent
from app.accounts.models import Agent, Role
from app.core.db import db
from app.devtools.fake_channels import SMS_TEMPLATES, FakeChannelsServer, dingtalk_sign
from app.notifications import service
from app.notifications.channels import dingtalk, sms
from app.notifications.models import NotificationChannel, NotificationStatus
from app.notifications.service import Outcome
from tests.notifications.helpers import reload

Status = NotificationStatus
C = NotificationChannel


@pytest.fixture
def fakes(settings: Callable[..., None]) -> Iterator[FakeChannelsServer]:
    with FakeChannelsServer() as server:
        settings(**server.settings(), ALERT_TIMEOUT_SECONDS=5.0)
        yield server


@pytest.fixture
def agent(make_agent: Callable[..., Agent], default_team: Any) -> Agent:
    agent = make_agent("zhao", team=default_team, phone="+8613912345678")
    agent.name = "赵专员"
    agent.wecom_userid = "zhaoyi"
    db.session.commit()
    return agent


def alert(agent: Agent, channels: list[str], *, cause: str = "test:1", kind: str = "sla_breach"):
    agent.notify_channels = channels
    db.session.commit()
    return notify_agent(
        agent,
        kind=kind,
        cause=cause,
        template="notice",
        title="线索超时未联系 / lead not contacted in time",
        lines=[("线索", "PL-20261204-0001"), ("应联系时间", "2026-12-04 10:30")],
        remark="请尽快联系客户。",
    )


def test_wecom_app_message_reaches_the_member_with_the_alert_text(agent, fakes, dispatched):
    (queued,) = alert(agent, ["wecom_app"])

    assert service.deliver(queued.id).outcome is Outcome.SENT
    (message,) = fakes.messages("wecom_app")
    assert message["to"] == "zhaoyi"
    assert "线索：PL-20261204-0001" in message["text"]
    assert reload(queued).status is Status.SENT
    assert reload(queued).remote_id == message["msgid"]


def test_wecom_token_is_fetched_once_and_shared_by_later_sends(agent, fakes, dispatched):
    first = alert(agent, ["wecom_app"], cause="test:1")[0]
    second = alert(agent, ["wecom_app"], cause="test:2")[0]

    service.deliver(first.id)
    service.deliver(second.id)

    assert len(fakes.messages("wecom_app")) == 2
    assert fakes.token_fetches == 1


def test_an_expired_wecom_token_is_refreshed_once_and_the_send_retried(agent, fakes, dispatched):
    service.deliver(alert(agent, ["wecom_app"], cause="test:1")[0].id)
    fakes.expire_tokens()
    second = alert(agent, ["wecom_app"], cause="test:2")[0]

    assert service.deliver(second.id).outcome is Outcome.SENT
    assert fakes.token_fetches == 2
    sends = fakes.requests("/wecom/cgi-bin/message/send")
    assert [r["response"]["errcode"] for r in sends] == [0, 42001, 0]


def test_a_member_wecom_does_not_know_is_dead_at_once(agent, fakes, dispatched):
    agent.wecom_userid = "unknown-member"
    (queued,) = alert(agent, ["wecom_app"])

    assert service.deliver(queued.id).outcome is Outcome.DEAD
    assert "unknown-member" in reload(queued).last_error


def test_wecom_robot_mentions_the_agents_mobile(agent, fakes, dispatched):
    (queued,) = alert(agent, ["wecom_robot"])

    assert service.deliver(queued.id).outcome is Outcome.SENT
    (message,) = fakes.messages("wecom_robot")
    assert message["to"] == "13912345678"
    assert message["text"].startswith("线索超时未联系")


def test_dingtalk_robot_signs_each_request_as_dingtalk_checks_it(agent, fakes, dispatched):
    (queued,) = alert(agent, ["dingtalk_robot"])

    assert service.deliver(queued.id).outcome is Outcome.SENT
    (message,) = fakes.messages("dingtalk_robot")
    assert message["to"] == "13912345678"
    assert "@13912345678" in message["text"]
    (request,) = fakes.requests("/dingtalk/robot/send")
    assert request["query"]["sign"] == dingtalk_sign(
        fakes.settings()["DINGTALK_ROBOT_SECRET"], request["query"]["timestamp"]
    )


def test_dingtalk_sign_matches_dingtalks_documented_recipe():
    # base64(HMAC-SHA256(secret, "<ms>\n<secret>")), computed here step by step.
    import base64
    import hashlib
    import hmac

    expected = base64.b64encode(
        hmac.new(b"SECabc", b"1700000000000\nSECabc", hashlib.sha256).digest()
    ).decode()
    assert dingtalk.sign("SECabc", 1700000000000) == expected


def test_a_wrong_dingtalk_secret_is_refused_and_dead(agent, fakes, dispatched, settings):
    settings(DINGTALK_ROBOT_SECRET="SECwrong")
    (queued,) = alert(agent, ["dingtalk_robot"])

    assert service.deliver(queued.id).outcome is Outcome.DEAD
    assert "310000" in reload(queued).last_error
    assert fakes.messages("dingtalk_robot") == []


def test_sms_sends_the_template_and_its_parameters_signed_with_tc3(agent, fakes, dispatched):
    (queued,) = alert(agent, ["sms"])

    assert service.deliver(queued.id).outcome is Outcome.SENT
    (message,) = fakes.messages("sms")
    assert message["to"] == "+8613912345678"
    assert message["template"] == SMS_TEMPLATES["notice"]
    assert message["params"] == ["线索超时未联系"]
    assert reload(queued).remote_id == message["serial"]


def test_a_new_lead_sms_carries_the_reference_and_the_time_to_call_by(agent, fakes, dispatched):
    agent.notify_channels = ["sms"]
    (queued,) = notify_agent(
        agent,
        kind="lead_assigned",
        cause="lead:1",
        template="lead_assigned",
        title="新线索",
        lines=[],
        sms_params=["PL-20261204-0002", "2026-12-04 10:30"],
    )
    service.deliver(queued.id)

    (message,) = fakes.messages("sms")
    assert message["template"] == SMS_TEMPLATES["lead_assigned"]
    assert message["params"] == ["PL-20261204-0002", "2026-12-04 10:30"]


def test_a_wrong_sms_secret_key_fails_tencents_signature_check(agent, fakes, dispatched, settings):
    settings(SMS_SECRET_KEY="not-the-key")
    (queued,) = alert(agent, ["sms"])

    assert service.deliver(queued.id).outcome is Outcome.DEAD
    assert "AuthFailure.SignatureFailure" in reload(queued).last_error


def test_tc3_signature_changes_with_the_body(app: Flask):
    common = {"secret_id": "AKID", "secret_key": "k", "host": "h", "timestamp": 1700000000}
    one = sms.tc3_authorization(body=b'{"a":1}', **common)
    two = sms.tc3_authorization(body=b'{"a":2}', **common)

    assert one.startswith("TC3-HMAC-SHA256 Credential=AKID/2023-11-14/sms/tc3_request, ")
    assert "SignedHeaders=content-type;host, Signature=" in one
    assert one != two


@pytest.mark.parametrize(
    ("channel", "path"),
    [
        ("wecom_app", "/wecom/cgi-bin/message/send"),
        ("wecom_robot", "/wecom/cgi-bin/webhook/send"),
        ("dingtalk_robot", "/dingtalk/robot/send"),
        ("sms", "/sms/"),
    ],
)
def test_a_5xx_is_retried_then_dead_after_the_maximum_attempts(
    agent, fakes, dispatched, settings, channel, path
):
    settings(NOTIFY_MAX_ATTEMPTS=3)
    fakes.add_fault("5xx", path=path, status=502, times=None)
    (queued,) = alert(agent, [channel])

    outcomes = [service.deliver(queued.id).outcome for _ in range(3)]

    assert outcomes == [Outcome.FAILED, Outcome.FAILED, Outcome.DEAD]
    row = reload(queued)
    assert row.status is Status.DEAD
    assert row.attempts == 3
    assert "HTTP 502" in row.last_error
    assert fakes.messages(channel) == []


def test_a_5xx_then_success_sends_once(agent, fakes, dispatched):
    fakes.add_fault("5xx", path="/sms/", times=1)
    (queued,) = alert(agent, ["sms"])

    assert service.deliver(queued.id).outcome is Outcome.FAILED
    assert service.deliver(queued.id).outcome is Outcome.SENT
    assert service.deliver(queued.id).outcome is Outcome.DONE
    assert len(fakes.messages("sms")) == 1


def test_a_dead_channel_falls_back_to_the_agents_next_channel(agent, fakes, dispatched):
    agent.wecom_userid = "unknown-member"
    (first,) = alert(agent, ["wecom_app", "sms", "dingtalk_robot"])

    service.deliver(first.id)

    (second,) = [n for n in dispatched.notification_ids if n != first.id]
    row = reload(second)
    assert row.channel is C.SMS
    assert row.payload["fallback"] == ["dingtalk_robot"]
    assert service.deliver(second).outcome is Outcome.SENT
    assert len(fakes.messages("sms")) == 1
    assert fakes.messages("dingtalk_robot") == []


def test_channels_that_cannot_reach_the_agent_are_passed_over(agent, fakes, dispatched):
    agent.wecom_userid = None
    agent.phone = None
    (queued,) = alert(agent, ["wecom_app", "sms", "wecom_robot"])

    assert queued.channel is C.WECOM_ROBOT
    assert queued.payload["mention"] is None


def test_an_event_switched_off_queues_nothing(agent, fakes, dispatched):
    agent.notify_events = {"sla_breach": False}

    assert alert(agent, ["sms"]) == []
    assert alert(agent, ["sms"], kind="follow_up_due", cause="test:2") != []


def test_without_a_choice_the_agent_hears_on_the_default_channels(agent, fakes, dispatched):
    assert alert(agent, None) == []  # type: ignore[arg-type]  # no openid, no e-mail set up


def test_the_admin_api_stores_channels_and_events(client, token_for, make_agent, agent):
    admin = make_agent("boss", role=Role.ADMIN)
    body = {
        "wecom_userid": "zhao1",
        "notify_channels": ["dingtalk_robot", "sms"],
        "notify_events": {"listing_match": False},
    }

    response = client.patch(f"/api/agents/{agent.id}", json=body, headers=token_for(admin))

    assert response.status_code == 200, response.get_json()
    assert {k: response.get_json()[k] for k in body} == body


@pytest.mark.parametrize(
    "body",
    [
        {"notify_channels": ["fax"]},
        {"notify_channels": ["sms", "sms"]},
        {"notify_events": {"birthday": True}},
    ],
)
def test_the_admin_api_refuses_unknown_or_repeated_channels(
    client, token_for, make_agent, agent, body
):
    admin = make_agent("boss", role=Role.ADMIN)

    response = client.patch(f"/api/agents/{agent.id}", json=body, headers=token_for(admin))

    assert response.status_code == 400
    assert next(iter(body)) in str(response.get_json()["error"]["fields"])


def test_processes_share_one_wecom_token_in_redis_and_refresh_it_once(fakes, redis_url):
    import redis

    from app.notifications.channels import wecom

    conn = redis.Redis.from_url(redis_url)
    for key in conn.scan_iter(f"{wecom.STORAGE_PREFIX}:*"):
        conn.delete(key)
    config = {**fakes.settings(), "REDIS_URL": redis_url}
    first, second = wecom.make_client(config), wecom.make_client(config)  # two processes
    body = {"touser": "zhaoyi", "msgtype": "text", "agentid": 1000002, "text": {"content": "x"}}

    first.post("message/send", data=body)
    second.post("message/send", data=body)
    fakes.expire_tokens()
    first.post("message/send", data=body)  # 42001: refreshed once, retried once
    second.post("message/send", data=body)  # reads the token `first` fetched

    assert fakes.token_fetches == 2
    assert len(fakes.messages("wecom_app")) == 4
    conn.close()


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("InternalError.Timeout", Outcome.FAILED),
        ("LimitExceeded.PhoneNumberThirtySecondLimit", Outcome.FAILED),
        ("FailedOperation.TemplateIncorrectOrUnapproved", Outcome.DEAD),
        ("FailedOperation.InsufficientBalanceInSmsPackage", Outcome.DEAD),
    ],
)
def test_tencent_error_codes_are_retried_or_final(agent, fakes, dispatched, code, outcome):
    fakes.add_fault("errcode", errcode=0, errmsg=code, path="/sms/")
    (queued,) = alert(agent, ["sms"])

    assert service.deliver(queued.id).outcome is outcome
    assert code in reload(queued).last_error


def test_an_alert_whose_worker_was_lost_on_the_last_attempt_falls_back(
    agent, fakes, dispatched, settings
):
    import datetime as dt

    from sqlalchemy import update

    from app.core.db import utcnow
    from app.notifications.models import Notification

    settings(NOTIFY_MAX_ATTEMPTS=2)
    (first,) = alert(agent, ["wecom_app", "sms"])
    lost = {"status": Status.SENDING, "attempts": 2, "next_attempt_at": utcnow() - dt.timedelta(1)}
    db.session.execute(update(Notification).where(Notification.id == first.id).values(**lost))
    db.session.commit()

    assert service.deliver(first.id).outcome is Outcome.DONE

    assert reload(first).status is Status.DEAD
    (second,) = [n for n in dispatched.notification_ids if n != first.id]
    assert reload(second).channel is C.SMS
