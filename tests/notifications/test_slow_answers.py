"""A WeChat call that succeeds after we stopped waiting is not sent twice (docs/security.md):
the read timeout is well above WeChat's usual answer, and a template message whose request
went out without an answer is recorded as "sent, answer unknown" and resent only when an
admin says so. The fake WeChat server answers slowly on request."""

from __future__ import annotations

import pytest

from app.devtools.fake_server import FakeWechatServer
from app.notifications import service
from app.notifications.models import NotificationChannel, NotificationStatus
from app.notifications.service import Outcome
from tests.notifications.helpers import reload

pytestmark = pytest.mark.slow

TEMPLATE_PATH = "/cgi-bin/message/template/send"


def template_to(make_notification):
    return make_notification(
        NotificationChannel.WECHAT_TEMPLATE,
        "o-agent-li",
        template="lead_assigned",
        kind="lead_assigned",
        payload={"data": {"keyword1": "PL-20261124-0007"}},
    )


def test_an_answer_slower_than_the_old_5_second_timeout_is_sent_once(
    wechat: FakeWechatServer, make_notification
):
    wechat.add_fault("delay", seconds=6, path=TEMPLATE_PATH)
    notification = template_to(make_notification)

    assert service.deliver(notification.id).outcome is Outcome.SENT
    assert service.deliver(notification.id).outcome is Outcome.DONE  # a redelivered task
    assert len(wechat.messages("template")) == 1


def test_an_answer_after_our_timeout_is_sent_answer_unknown_and_never_resent_alone(
    wechat: FakeWechatServer, make_notification, settings, client, admin, token_for
):
    settings(WECHAT_API_TIMEOUT_SECONDS=1)
    wechat.add_fault("delay", seconds=2.5, path=TEMPLATE_PATH)
    notification = template_to(make_notification)

    assert service.deliver(notification.id).outcome is Outcome.UNKNOWN
    row = reload(notification)
    assert row.status is NotificationStatus.UNKNOWN
    assert row.last_error.startswith("sent, answer unknown")
    # A redelivered task and the sweeper leave it alone: no second send.
    assert service.deliver(notification.id).outcome is Outcome.DONE
    assert service.sweep_outbox() == 0
    wechat.state.stopping.wait(2)  # the slow answer has come and gone
    assert len(wechat.messages("template")) == 1

    # Admins see it as such, and only their retry sends it again.
    headers = token_for(admin)
    listed = client.get("/api/notifications?status=unknown", headers=headers).get_json()
    assert [item["id"] for item in listed["items"]] == [notification.id]
    assert listed["items"][0]["status"] == "unknown"
    page = client.get("/api/notifications?status=dead", headers=headers).get_json()
    assert notification.id not in [item["id"] for item in page["items"]]
    retried = client.post(f"/api/notifications/{notification.id}/retry", headers=headers)
    assert retried.status_code == 200
    assert service.deliver(notification.id).outcome is Outcome.SENT
    assert len(wechat.messages("template")) == 2


def test_a_refused_connection_is_still_retried_as_before(
    wechat: FakeWechatServer, make_notification, settings
):
    settings(WECHAT_API_BASE_URL="http://127.0.0.1:1/cgi-bin/")
    notification = template_to(make_notification)
    assert service.deliver(notification.id).outcome is Outcome.FAILED
    assert reload(notification).status is NotificationStatus.FAILED
