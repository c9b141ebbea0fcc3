"""Logging: plain or JSON lines, with phone numbers masked (SPEC §11)."""

from __future__ import annotations

import json
import logging
import re
import sys

from flask import Flask

# +8613812345678, 13812345678, 0731-28881234 and the like.
_PHONE = re.compile(
    r"(?<!\d)(\+?86)?(1[3-9]\d)(\d{4})(\d{4})(?!\d)|(?<!\d)(0\d{2,3}-?)(\d{3,4})(\d{4})(?!\d)"
)


def mask_phones(text: str) -> str:
    def _mask(m: re.Match[str]) -> str:
        if m.group(2):
            return f"{m.group(1) or ''}{m.group(2)}****{m.group(4)}"
        return f"{m.group(5)}****{m.group(7)}"

    return _PHONE.sub(_mask, text)


class PhoneMaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_phones(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = mask_phones(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(app: Flask) -> None:
    root = logging.getLogger()
    if getattr(root, "_parklead_configured", False):
        root.setLevel(app.config["LOG_LEVEL"])
        return
    handler = logging.StreamHandler(sys.stderr)
    if app.config["LOG_FORMAT"] == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(PhoneMaskingFilter())
    root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    root._parklead_configured = True  # type: ignore[attr-defined]
