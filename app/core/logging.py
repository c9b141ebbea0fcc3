"""Logging: plain or JSON lines, with phone numbers masked (docs/security.md)."""

from __future__ import annotations

import json
import logging
import re
import sys

from flask import Flask

_SEP = r"[ \-]?"  # people write 138 1234 5678 and 0731-2888-1234
_PHONE = re.compile(
    r"(?<![\d+])(?:"
    # Mobile, with or without the country code: 13812345678, +86 138-1234-5678.
    rf"(?P<head>(?:(?:\+|00)?86{_SEP})?1[3-9]\d{_SEP})\d{{4}}(?P<tail>{_SEP}\d{{4}})"
    # Landline with its trunk 0: 0731-28881234, 010 1234 5678.
    rf"|(?P<lhead>0\d{{2,3}}{_SEP})\d{{3,4}}(?P<ltail>{_SEP}\d{{4}})"
    # Landline or 400 number in E.164, as lead.phone stores them: +8673128881234.
    rf"|(?P<ihead>(?:\+|00)86{_SEP}[1-9]\d{{1,2}}?{_SEP})\d{{3,4}}(?P<itail>{_SEP}\d{{4}})"
    r")(?!\d)"
)


def mask_phones(text: str) -> str:
    def _mask(m: re.Match[str]) -> str:
        head = m.group("head") or m.group("lhead") or m.group("ihead")
        tail = m.group("tail") or m.group("ltail") or m.group("itail")
        return f"{head}****{tail}"

    return _PHONE.sub(_mask, text)


class PhoneMaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_phones(message)
        if masked != message:
            record.msg, record.args = masked, None
        # Formatters reuse a cached exc_text, so a traceback's phone numbers are masked too.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_phones(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_phones(record.stack_info)
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


# The root logger has our handler: once per process, however many apps are made (tests).
_configured = False


def configure_logging(app: Flask) -> None:
    global _configured
    root = logging.getLogger()
    if _configured:
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
    _configured = True
