"""What every sender returns or raises."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChannelResult:
    skipped: bool = False
    detail: str | None = None  # the skip reason, or what the remote answered
    remote_id: str | None = None  # the remote's id for the message, when it gives one

    @classmethod
    def sent(cls, detail: str | None = None, *, remote_id: str | None = None) -> ChannelResult:
        return cls(False, detail, remote_id)

    @classmethod
    def skip(cls, reason: str) -> ChannelResult:
        return cls(True, reason)


class DeliveryError(Exception):
    """A send that did not go through; the message is what admins see as `last_error`."""


class RetryableError(DeliveryError):
    """Try again later: the remote was unreachable, busy, or answered 5xx / 408 / 429."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        # The remote's own wish (HTTP Retry-After); the backoff never goes below it.
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Trying again cannot help (refused recipient, bad template, missing setting): dead."""


class AnswerUnknown(DeliveryError):
    """The request was written and no answer came back in time: it may have been delivered.
    Resending could deliver it twice, so the row waits for an admin's decision."""
