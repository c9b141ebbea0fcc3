"""What the outbox announces about its rows, for the rooms that queued them
(docs/architecture.md "The outbox contract").

The outbox knows no domain: a room that wants to act when one of its rows is sent, skipped
or given up connects a receiver here (when the app starts, `create_app`), as Indico's
modules connect to its `signals`. Every receiver runs inside the delivery's transaction, so
what it writes commits (or rolls back) with the row's new status; it must only flush.

- `sent(notification, attempt=, at=)`: the row was delivered.
- `sent_many(rows, at=)`: rows delivered in one batch (`deliver_many`), each a
  `(notification, attempt)` pair, announced together so that a receiver writes for all of
  them at once; the outbox sends `sent` for none of them. A room that acts on sent rows
  connects both.
- `skipped(notification, reason=)`: a rule forbade the send (outside WeChat's 48-hour window,
  say), before the row is marked `skipped`. A receiver that tells someone instead returns
  the notifications it queued (an empty list when it could reach no one), and the row's
  `last_error` says so; a receiver with nothing to do for this row returns None.
- `given_up(notification)`: the row ended `dead` or `skipped`: its sender may try another
  channel (the agent's next choice, `app.accounts.alerts`).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

sent = _signals.signal("notification-sent")
sent_many = _signals.signal("notifications-sent-many")
skipped = _signals.signal("notification-skipped")
given_up = _signals.signal("notification-given-up")
