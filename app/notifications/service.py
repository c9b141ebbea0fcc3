"""Sending the notification outbox, and its admin view (docs/notifications.md).

The outbox knows no domain: the rooms queue rows with plain data (`queue_notification`,
`queue_webhook`) and hear back through `app.notifications.signals`. The messages themselves
live with their rooms: the agent's channel choice and fallback in `app.accounts.alerts`, the
messages about leads in `app.leads.alerts`.

Delivery (`deliver`), one row at a time:

1. Claim: one conditional UPDATE moves the row to `sending`, counts the attempt and takes a
   lease (`next_attempt_at` = now + NOTIFY_LEASE_SECONDS), only if the row is `pending`,
   `failed`, or `sending` with an expired lease. It is committed before anything is sent.
   A redelivered task, a duplicate from the sweeper or a second worker matches nothing and
   sends nothing, and neither does a task for a row that is `sent`, `dead` or `skipped`.
2. Send through the row's channel (`app.notifications.channels`), holding no row lock.
3. Record the result: `sent` (with `sent_at`); `skipped` when a rule forbids the send (the
   reason in `last_error`); `failed` with `next_attempt_at` = exponential backoff with
   jitter, which the Celery task retries at; `dead` after NOTIFY_MAX_ATTEMPTS attempts, or
   at once when retrying cannot help (a refused address, a 4xx from the webhook). This
   UPDATE is fenced on (status = sending, attempts = this attempt), so a worker whose lease
   expired and was taken over cannot overwrite the newer attempt's result.

What the lease cannot close: a worker that dies (or loses the database) after the remote
accepted a message but before step 3 commits leaves the row `sending`; once the lease has
expired the sweeper hands it out again and the message goes out a second time. Delivery is
therefore at-least-once in that narrow window and once otherwise. Where the channel allows,
the duplicate is recognisable: webhooks carry the same `X-ParkLead-Idempotency-Key` on every
attempt, e-mails a Message-ID derived from the key. WeChat messages have no such field.

`deliver` and `sweep_outbox` commit themselves (the claim must be committed before the send);
every other function here only flushes and the caller commits, as elsewhere.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from flask import current_app
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    and_,
    bindparam,
    case,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from app.core.cursors import decode_id_cursor, encode_id_cursor, page_size
from app.core.db import as_json, db, matched_rows, utcnow
from app.core.dispatch import enqueue_after_commit
from app.core.errors import Conflict, NotFound
from app.notifications import channels, signals
from app.notifications.channels import (
    AnswerUnknown,
    DeliveryError,
    PermanentError,
    RetryableError,
)
from app.notifications.models import Notification, NotificationChannel, NotificationStatus
from app.notifications.outbox import SEND_TASK, queue_notification

log = logging.getLogger(__name__)

Status = NotificationStatus
FINISHED = (Status.SENT, Status.DEAD, Status.SKIPPED, Status.UNKNOWN)
ADMIN_RETRYABLE = (Status.DEAD, Status.FAILED, Status.SKIPPED, Status.UNKNOWN)
MAX_ERROR_LENGTH = 2000
# Literal statuses (not bind parameters) so the query matches the partial index
# ix_notification_due even in a prepared statement's generic plan.
_UNFINISHED: BindParameter[list[NotificationStatus]] = bindparam(
    "unfinished",
    [Status.PENDING, Status.FAILED, Status.SENDING],
    expanding=True,
    literal_execute=True,
)


class Outcome(enum.StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"  # retried at `retry_in`
    DEAD = "dead"
    UNKNOWN = "unknown"  # sent, answer unknown: waits for an admin
    BUSY = "busy"  # another worker holds the lease
    DONE = "done"  # already sent, dead or skipped: nothing to do
    MISSING = "missing"
    SUPERSEDED = "superseded"  # our lease expired and a newer attempt took the row over


@dataclass(frozen=True, slots=True)
class Delivery:
    notification_id: int
    outcome: Outcome
    retry_in: float | None = None  # seconds until the next attempt (FAILED only)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "notification_id": self.notification_id,
            "outcome": self.outcome.value,
            "retry_in": self.retry_in,
            "error": self.error,
        }


def backoff_seconds(
    attempt: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """The wait after failed attempt number `attempt` (1-based): a random point in the upper
    half of the exponential ceiling min(cap, base * 2^(attempt-1)) ("equal jitter"). Below the
    cap the wait never shrinks from one attempt to the next; the jitter spreads out the
    retries of many rows that failed together."""
    ceiling = min(cap, base * 2.0 ** min(attempt - 1, 64))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


# --- delivery --------------------------------------------------------------------------------


def deliver(notification_id: int) -> Delivery:
    """Claim, send and record one outbox row; see the module docstring. Commits."""
    cfg = current_app.config
    now = utcnow()
    max_attempts = int(cfg["NOTIFY_MAX_ATTEMPTS"])
    lease_until = now + dt.timedelta(seconds=cfg["NOTIFY_LEASE_SECONDS"])
    # The claim returns the row itself, loaded before the commit, so no transaction (on
    # SQLite: the write lock) stays open while the channel talks to the remote.
    notification = _claim(notification_id, now, lease_until, max_attempts)
    if notification is None:
        # Not ours: bury it if its last attempt was abandoned, then say why.
        _bury_abandoned(notification_id, now, max_attempts)
        notification = db.session.get(Notification, notification_id, populate_existing=True)
        db.session.commit()
        if notification is None:
            return Delivery(notification_id, Outcome.MISSING)
        outcome = Outcome.DONE if notification.status in FINISHED else Outcome.BUSY
        return Delivery(notification_id, outcome)
    attempt = notification.attempts
    db.session.commit()

    try:
        result = channels.send(notification)
    except AnswerUnknown as exc:
        return _unknown(notification, attempt, str(exc))
    except RetryableError as exc:
        return _failed(notification, attempt, str(exc), retry_after=exc.retry_after)
    except PermanentError as exc:
        return _dead(notification, attempt, str(exc))
    except SQLAlchemyError:
        # Our own database failed mid-send: nothing can be recorded now. The row stays
        # `sending` and is handed out again when its lease has expired.
        raise
    except Exception as exc:
        # A bug in a sender must not leave the row `sending` until the lease expires, nor
        # hide: it is logged with its traceback and retried like any failure, then dead.
        db.session.rollback()
        log.exception("notification %s: sender raised", notification_id)
        return _failed(notification, attempt, f"unexpected {type(exc).__name__}: {exc}")
    if result.skipped:
        return _skipped(notification, attempt, result.detail or "skipped")
    return _sent(notification, attempt, result.remote_id)


# A customer-service message's sender (registered by the WeChat room) counts it against the
# prospect's 48-hour window in the delivery's own transaction, so those rows go through
# `deliver` one at a time; the other senders write nothing and their rows can be delivered in
# batches.
_ONE_AT_A_TIME = (NotificationChannel.WECHAT_CS,)


@dataclass(frozen=True, slots=True)
class BatchDelivery:
    deliveries: list[Delivery]
    # Claimed but not sent before half the lease had passed: handed back (still `pending`,
    # the attempt not counted) for the caller to queue again.
    released: list[int]


def deliver_many(notification_ids: Sequence[int]) -> BatchDelivery:
    """`deliver` for many rows at once, with the same claim, lease and fence: one UPDATE
    claims every claimable row and commits; the rows are sent one after the other through
    `channels.batch()` (one SMTP connection for the batch's e-mails); the sent ones are
    recorded in one UPDATE fenced on each row's attempt, announced (`signals.sent_many`) and
    committed once. A row that failed, is dead, skipped or unknown is recorded on its own as in
    `deliver`; rows not claimed here (a customer-service message, or one already sent, busy
    or abandoned) go through `deliver`. One row's failure changes nothing for the others.

    Rows not reached before half the lease has passed (a slow remote) are released, so no
    row is sent after its lease could have expired."""
    cfg = current_app.config
    now = utcnow()
    max_attempts = int(cfg["NOTIFY_MAX_ATTEMPTS"])
    lease = float(cfg["NOTIFY_LEASE_SECONDS"])
    claimed = _claim_many(notification_ids, now, now + dt.timedelta(seconds=lease), max_attempts)
    db.session.commit()
    send_until = time.monotonic() + lease / 2
    deliveries: list[Delivery] = []
    ours = {n.id for n in claimed}
    for notification_id in notification_ids:
        if notification_id not in ours:
            deliveries.append(deliver(notification_id))

    sent: list[tuple[Notification, int, str | None]] = []
    others: list[Callable[[], Delivery]] = []
    released: list[Notification] = []
    with channels.batch():
        for notification in sorted(claimed, key=lambda n: (n.channel.value, n.id)):
            if time.monotonic() > send_until:
                released.append(notification)
                continue
            attempt = notification.attempts
            try:
                result = channels.send(notification)
            except DeliveryError as exc:
                others.append(_recorder(notification, attempt, exc))
                continue
            except SQLAlchemyError:
                # Not from these senders (they write nothing); as in `deliver`, the row is
                # left `sending` and handed out again when its lease has expired.
                log.exception("notification %s: database failed mid-send", notification.id)
                continue
            except Exception as exc:
                log.exception("notification %s: sender raised", notification.id)
                error = f"unexpected {type(exc).__name__}: {exc}"
                others.append(partial(_failed, notification, attempt, error))
                continue
            if result.skipped:
                reason = result.detail or "skipped"
                others.append(partial(_skipped, notification, attempt, reason))
            else:
                sent.append((notification, attempt, result.remote_id))
    if sent:
        deliveries.extend(_sent_many(sent))
    deliveries.extend(record() for record in others)
    if released:
        _release(released)
    return BatchDelivery(deliveries, [n.id for n in released])


def _recorder(
    notification: Notification, attempt: int, exc: DeliveryError
) -> Callable[[], Delivery]:
    if isinstance(exc, AnswerUnknown):
        return partial(_unknown, notification, attempt, str(exc))
    if isinstance(exc, RetryableError):
        return partial(_failed, notification, attempt, str(exc), retry_after=exc.retry_after)
    return partial(_dead, notification, attempt, str(exc))


def _claim_many(
    notification_ids: Sequence[int], now: dt.datetime, lease_until: dt.datetime, max_attempts: int
) -> list[Notification]:
    """`_claim` for many rows in one statement, leaving out the rows sent one at a time."""
    if not notification_ids:
        return []
    stmt = (
        update(Notification)
        .where(
            Notification.id.in_(list(notification_ids)),
            Notification.channel.not_in(_ONE_AT_A_TIME),
            _claimable(now, max_attempts),
        )
        .values(
            status=Status.SENDING,
            attempts=Notification.attempts + 1,
            next_attempt_at=lease_until,
        )
        .returning(Notification)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return list(db.session.scalars(stmt))


def _sent_many(sent: Sequence[tuple[Notification, int, str | None]]) -> list[Delivery]:
    """Record rows sent in a batch: one UPDATE fenced on (id, attempt) as `_finish` is,
    `signals.sent_many` for the rows recorded, one commit. A row a newer attempt took over is
    superseded."""
    now = utcnow()
    remote_ids = {n.id: remote_id for n, _, remote_id in sent if remote_id is not None}
    stmt = (
        update(Notification)
        .where(
            tuple_(Notification.id, Notification.attempts).in_([(n.id, a) for n, a, _ in sent]),
            Notification.status == Status.SENDING,
        )
        .values(
            status=Status.SENT,
            sent_at=now,
            next_attempt_at=None,
            remote_id=case(remote_ids, value=Notification.id, else_=None) if remote_ids else None,
        )
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    )
    recorded = set(db.session.scalars(stmt))
    rows = [(n, attempt) for n, attempt, _ in sent if n.id in recorded]
    if rows:
        signals.sent_many.send(rows, at=now)
    db.session.commit()
    deliveries = []
    for notification, attempt, _ in sent:
        if notification.id in recorded:
            deliveries.append(Delivery(notification.id, Outcome.SENT))
        else:
            log.warning(
                "notification %s: attempt %s outlived its lease; a newer attempt owns the row",
                notification.id,
                attempt,
            )
            deliveries.append(Delivery(notification.id, Outcome.SUPERSEDED))
    log.info("notifications sent in a batch: %s", len(recorded))
    return deliveries


def _release(notifications: Sequence[Notification]) -> None:
    """Give back claimed rows that were not sent: `pending` again, the attempt not counted."""
    for notification in notifications:
        db.session.execute(
            update(Notification)
            .where(
                Notification.id == notification.id,
                Notification.status == Status.SENDING,
                Notification.attempts == notification.attempts,
            )
            .values(
                status=Status.PENDING,
                attempts=Notification.attempts - 1,
                next_attempt_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
    db.session.commit()


def _claimable(now: dt.datetime, max_attempts: int) -> ColumnElement[bool]:
    return or_(
        Notification.status.in_([Status.PENDING, Status.FAILED]),
        and_(
            Notification.status == Status.SENDING,
            Notification.next_attempt_at <= now,
            Notification.attempts < max_attempts,
        ),
    )


def _claim(
    notification_id: int, now: dt.datetime, lease_until: dt.datetime, max_attempts: int
) -> Notification | None:
    """The row, now ours with its new attempt number, or None when it is not ours to send.
    A row whose last allowed attempt was abandoned is not claimable: `_bury_abandoned`."""
    stmt = (
        update(Notification)
        .where(Notification.id == notification_id, _claimable(now, max_attempts))
        .values(
            status=Status.SENDING,
            attempts=Notification.attempts + 1,
            next_attempt_at=lease_until,
        )
        .returning(Notification)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return db.session.scalars(stmt).one_or_none()


def _bury_abandoned(notification_id: int, now: dt.datetime, max_attempts: int) -> None:
    """A row whose last allowed attempt lost its worker (crash, kill, time limit) is dead;
    without this a message that kills the worker would be handed out for ever. Announced as
    given up, as any dead row is (an agent's alert then goes to their next channel)."""
    buried = db.session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == Status.SENDING,
            Notification.next_attempt_at <= now,
            Notification.attempts >= max_attempts,
        )
        .values(
            status=Status.DEAD,
            next_attempt_at=None,
            last_error="the worker sending it was lost (lease expired) on the last attempt",
        )
        .execution_options(synchronize_session=False)
    )
    if matched_rows(buried) == 1:
        notification = db.session.get(Notification, notification_id, populate_existing=True)
        if notification is not None:
            signals.given_up.send(notification)


def _finish(notification: Notification, attempt: int, **values: Any) -> bool:
    """Record this attempt's result, unless a newer attempt has taken the row over."""
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.id == notification.id,
            Notification.status == Status.SENDING,
            Notification.attempts == attempt,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if matched_rows(result) == 1:
        return True
    log.warning(
        "notification %s: attempt %s outlived its lease; a newer attempt owns the row",
        notification.id,
        attempt,
    )
    return False


def _sent(notification: Notification, attempt: int, remote_id: str | None = None) -> Delivery:
    now = utcnow()
    sent = {"status": Status.SENT, "sent_at": now, "next_attempt_at": None, "remote_id": remote_id}
    if not _finish(notification, attempt, **sent):
        db.session.commit()
        return Delivery(notification.id, Outcome.SUPERSEDED)
    signals.sent.send(notification, attempt=attempt, at=now)
    db.session.commit()
    log.info(
        "notification %s sent (%s, attempt %s)", notification.id, notification.channel, attempt
    )
    return Delivery(notification.id, Outcome.SENT)


def record_template_receipt(msgid: str, status: str, at: dt.datetime) -> Notification | None:
    """WeChat's delivery report of a template message (a TEMPLATESENDJOBFINISH event), kept on
    the row that sent it; None when no row sent that msgid. The caller commits."""
    stmt = (
        select(Notification)
        .where(
            Notification.channel == NotificationChannel.WECHAT_TEMPLATE,
            Notification.remote_id == msgid,
        )
        .order_by(Notification.id.desc())
        .limit(1)
    )
    notification = db.session.scalars(stmt).first()
    if notification is None:
        log.info("template receipt for msgid %s matches no notification", msgid)
        return None
    notification.receipt = status[:100]
    notification.receipt_at = at
    if status != "success":
        log.warning("template message %s (notification %s): %s", msgid, notification.id, status)
    return notification


def _failed(
    notification: Notification, attempt: int, error: str, *, retry_after: float | None = None
) -> Delivery:
    cfg = current_app.config
    max_attempts = int(cfg["NOTIFY_MAX_ATTEMPTS"])
    if attempt >= max_attempts:
        return _dead(notification, attempt, f"{error} (gave up after {attempt} attempts)")
    cap = float(cfg["NOTIFY_BACKOFF_MAX_SECONDS"])
    delay = backoff_seconds(attempt, base=float(cfg["NOTIFY_BACKOFF_BASE_SECONDS"]), cap=cap)
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    next_at = utcnow() + dt.timedelta(seconds=delay)
    # Committed even when fenced out: a customer-service send counted against the 48-hour
    # window in this transaction may have been delivered (see app.wechat.client).
    recorded = _finish(
        notification,
        attempt,
        status=Status.FAILED,
        last_error=_clip(error),
        next_attempt_at=next_at,
    )
    db.session.commit()
    if not recorded:
        return Delivery(notification.id, Outcome.SUPERSEDED, error=error)
    log.warning(
        "notification %s attempt %s/%s failed, retry in %.1fs: %s",
        notification.id,
        attempt,
        max_attempts,
        delay,
        error,
    )
    return Delivery(notification.id, Outcome.FAILED, retry_in=delay, error=error)


def _dead(notification: Notification, attempt: int, error: str) -> Delivery:
    recorded = _finish(
        notification, attempt, status=Status.DEAD, last_error=_clip(error), next_attempt_at=None
    )
    if recorded:
        signals.given_up.send(notification)
    db.session.commit()
    if not recorded:
        return Delivery(notification.id, Outcome.SUPERSEDED, error=error)
    log.error("notification %s is dead after %s attempts: %s", notification.id, attempt, error)
    return Delivery(notification.id, Outcome.DEAD, error=error)


def _unknown(notification: Notification, attempt: int, error: str) -> Delivery:
    """Sent, answer unknown: never resent by the outbox or the sweeper, only by an admin's
    retry (docs/security.md). Committed even when fenced out, as `_failed` is."""
    recorded = _finish(
        notification,
        attempt,
        status=Status.UNKNOWN,
        last_error=_clip(f"sent, answer unknown: {error}"),
        next_attempt_at=None,
    )
    db.session.commit()
    if not recorded:
        return Delivery(notification.id, Outcome.SUPERSEDED, error=error)
    log.error("notification %s: sent, answer unknown; an admin decides: %s", notification.id, error)
    return Delivery(notification.id, Outcome.UNKNOWN, error=error)


def _skipped(notification: Notification, attempt: int, reason: str) -> Delivery:
    told = ""
    # A receiver that tells someone instead (the agent, for a prospect's message) answers
    # with what it queued; receivers with nothing to do for this row answer None.
    answers = [queued for _, queued in signals.skipped.send(notification, reason=reason)]
    if any(queued is not None for queued in answers):
        fallbacks = [n for queued in answers for n in (queued or ())]
        told = (
            "; agent told by " + ", ".join(sorted({n.channel.value for n in fallbacks}))
            if fallbacks
            else "; no channel to tell the agent"
        )
    recorded = _finish(
        notification,
        attempt,
        status=Status.SKIPPED,
        last_error=_clip(reason + told),
        next_attempt_at=None,
    )
    if not recorded:
        db.session.rollback()  # the newer attempt decides, and tells the agent if need be
        return Delivery(notification.id, Outcome.SUPERSEDED)
    signals.given_up.send(notification)
    db.session.commit()
    log.info("notification %s skipped: %s%s", notification.id, reason, told)
    return Delivery(notification.id, Outcome.SKIPPED, error=reason)


def _clip(error: str) -> str:
    return error if len(error) <= MAX_ERROR_LENGTH else error[: MAX_ERROR_LENGTH - 1] + "…"


# --- the sweeper -----------------------------------------------------------------------------

MAX_BATCHES_PER_SWEEP = 50


def sweep_outbox() -> int:
    """Re-enqueue rows whose send task was lost (publish failed, broker lost it, worker died):
    `pending`/`failed` rows due for longer than NOTIFY_SWEEP_GRACE_SECONDS, and `sending` rows
    whose lease expired that long ago. Commits once per batch; returns how many it enqueued.

    Two sweepers at once do not enqueue a row twice: each batch is selected with
    `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite serialises writers) and its rows' due time
    is moved to now, so neither sweeper sees them again within the grace period. And were a
    row enqueued twice, `deliver` would still send it once.
    """
    cfg = current_app.config
    grace = dt.timedelta(seconds=cfg["NOTIFY_SWEEP_GRACE_SECONDS"])
    batch = int(cfg["NOTIFY_SWEEP_BATCH"])
    total = 0
    for _ in range(MAX_BATCHES_PER_SWEEP):
        ids = sweep_batch(grace, batch)
        db.session.commit()
        total += len(ids)
        if len(ids) < batch:
            break
    if total:
        log.warning("outbox sweeper re-enqueued %d notifications", total)
    return total


def sweep_batch(grace: dt.timedelta, limit: int) -> list[int]:
    """One batch of the sweep; the caller commits (the tasks are published after that)."""
    now = utcnow()
    stmt = (
        select(Notification.id)
        .where(Notification.status.in_(_UNFINISHED), Notification.next_attempt_at <= now - grace)
        .order_by(Notification.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(db.session.scalars(stmt))
    if not ids:
        return ids
    db.session.execute(
        update(Notification)
        .where(Notification.id.in_(ids))
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    for notification_id in ids:
        enqueue_after_commit(SEND_TASK, notification_id)
    return ids


# --- webhooks and channel settings ----------------------------------------------------------


# The settings without which a channel sends nothing at all.
CHANNEL_SETTINGS = {
    NotificationChannel.WECHAT_TEMPLATE: ("WECHAT_APP_ID", "WECHAT_APP_SECRET"),
    NotificationChannel.EMAIL: ("SMTP_HOST",),
    NotificationChannel.WECOM_APP: ("WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_SECRET"),
    NotificationChannel.WECOM_ROBOT: ("WECOM_ROBOT_KEY",),
    NotificationChannel.DINGTALK_ROBOT: ("DINGTALK_ROBOT_ACCESS_TOKEN",),
    NotificationChannel.SMS: ("SMS_PROVIDER",),
}


def channel_configured(channel: NotificationChannel) -> bool:
    cfg = current_app.config
    names = CHANNEL_SETTINGS.get(channel)
    return bool(names) and all(cfg.get(name) for name in names or ())


def webhooks_on() -> bool:
    return bool(current_app.config.get("WEBHOOK_URL"))


def queue_webhook(
    event: str,
    *,
    cause: str,
    data: dict[str, Any],
    occurred_at: dt.datetime,
    lead_id: int | None = None,
    agent_id: int | None = None,
) -> Notification:
    """Queue webhook `event` for WEBHOOK_URL (read again when sending, so a corrected URL
    applies to retries)."""
    return queue_notification(
        channel=NotificationChannel.WEBHOOK,
        kind=event.replace(".", "_"),
        recipient=str(current_app.config.get("WEBHOOK_URL") or "")[:254],
        idempotency_key=f"{cause}:webhook",
        payload={"event": event, "occurred_at": occurred_at.isoformat(), "data": as_json(data)},
        lead_id=lead_id,
        agent_id=agent_id,
    )


# --- admin: the list and retry ---------------------------------------------------------------


def list_notifications(
    *,
    statuses: Sequence[Status] | None = None,
    channel: NotificationChannel | None = None,
    kind: str | None = None,
    lead_id: int | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[Notification], str | None]:
    """Newest first, keyset-paginated on id."""
    limit = page_size(limit)
    stmt = select(Notification)
    if statuses:
        stmt = stmt.where(Notification.status.in_(list(statuses)))
    if channel is not None:
        stmt = stmt.where(Notification.channel == channel)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    if lead_id is not None:
        stmt = stmt.where(Notification.lead_id == lead_id)
    if cursor:
        stmt = stmt.where(Notification.id < decode_id_cursor("n", cursor))
    rows = list(db.session.scalars(stmt.order_by(Notification.id.desc()).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_id_cursor("n", rows[-1].id)
    return rows, next_cursor


def retry_notification(notification_id: int) -> Notification:
    """Give a dead, failed or skipped row another attempt (attempts are kept, so a row past
    NOTIFY_MAX_ATTEMPTS gets exactly one). Queued after the caller's commit."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status.in_(ADMIN_RETRYABLE))
        .values(status=Status.PENDING, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    notification = db.session.get(Notification, notification_id, populate_existing=True)
    if notification is None:
        raise NotFound(f"no notification {notification_id}")
    if matched_rows(result) != 1:
        raise Conflict(
            f"notification {notification_id} is {notification.status.value}; only "
            f"{', '.join(s.value for s in ADMIN_RETRYABLE)} ones can be retried"
        )
    enqueue_after_commit(SEND_TASK, notification_id)
    return notification


def notification_to_dict(notification: Notification) -> dict[str, Any]:
    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": notification.id,
        "channel": notification.channel.value,
        "kind": notification.kind,
        "recipient": notification.recipient,
        "template": notification.template,
        "payload": notification.payload,
        "idempotency_key": notification.idempotency_key,
        "status": notification.status.value,
        "attempts": notification.attempts,
        "next_attempt_at": iso(notification.next_attempt_at),
        "last_error": notification.last_error,
        "lead_id": notification.lead_id,
        "agent_id": notification.agent_id,
        "created_at": iso(notification.created_at),
        "sent_at": iso(notification.sent_at),
        "receipt": notification.receipt,
        "receipt_at": iso(notification.receipt_at),
    }
