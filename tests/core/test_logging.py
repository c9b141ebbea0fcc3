"""Logs: phone numbers masked (docs/security.md), JSON lines in production (docs/operations.md)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from app.core.logging import JsonFormatter, PhoneMaskingFilter, mask_phones
from app.core.phones import normalize_phone

# (as written in a log line, digits that must not survive)
PHONES = [
    ("13812345678", "13812345678"),
    ("+8613812345678", "13812345678"),
    ("8613812345678", "13812345678"),
    ("138 1234 5678", "1234"),
    ("138-1234-5678", "1234"),
    ("+86 138 1234 5678", "1234"),
    ("0731-28881234", "28881234"),
    ("073128881234", "28881234"),
    ("010-12345678", "12345678"),
    ("0731 2888 1234", "2888"),
]
NOT_PHONES = [
    "PL-20261124-0007",
    "lead 12345 routed at 2026-11-24 22:08:58",
    "area 5000 m², tax 300 万元, investment 30000000000 元",
    "version 1 -> 2",
]


@pytest.fixture
def capture() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose records go through PhoneMaskingFilter to a string."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PhoneMaskingFilter())
    logger = logging.getLogger("parklead.tests.logging")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


@pytest.fixture
def json_capture() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(PhoneMaskingFilter())
    logger = logging.getLogger("parklead.tests.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


# --- masking -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "secret"), PHONES, ids=[p for p, _ in PHONES])
def test_phone_number_is_masked(written, secret):
    masked = mask_phones(f"enquiry from {written} received")
    assert secret not in masked
    assert "****" in masked


@pytest.mark.parametrize("raw", ["13812345678", "0731-28881234", "010-12345678", "400-820-8820"])
def test_phone_as_parklead_stores_it_is_masked(raw):
    stored = normalize_phone(raw)  # E.164, as on lead.phone
    masked = mask_phones(f"lead phone={stored}")
    assert stored not in masked
    assert stored[-4:] in masked  # the last four stay, so an agent can still tell leads apart


@pytest.mark.parametrize(("written", "_secret"), PHONES, ids=[p for p, _ in PHONES])
def test_masking_keeps_the_last_four_digits(written, _secret):
    assert mask_phones(written).endswith(written[-4:])


def test_phone_inside_chinese_text_is_masked():
    masked = mask_phones("王先生13812345678，想租5000平厂房")
    assert "13812345678" not in masked
    assert masked.startswith("王先生138****5678")
    assert masked.endswith("，想租5000平厂房")


def test_every_phone_in_a_line_is_masked():
    masked = mask_phones("13812345678 / 0731-28881234 / +8613912345678")
    assert masked.count("****") == 3


@pytest.mark.parametrize("text", NOT_PHONES)
def test_text_without_phone_numbers_is_left_alone(text):
    assert mask_phones(text) == text


# --- the filter on log records -------------------------------------------------------------------


def test_phone_in_the_log_message_is_masked(capture):
    logger, stream = capture
    logger.info("call back 13812345678 today")
    assert "13812345678" not in stream.getvalue()
    assert "138****5678" in stream.getvalue()


def test_phone_passed_as_a_log_argument_is_masked(capture):
    logger, stream = capture
    logger.info("lead %s phone %s", 7, "+8613812345678")
    assert "13812345678" not in stream.getvalue()
    assert "lead 7 phone +86138****5678" in stream.getvalue()


def test_phone_in_a_logged_exception_is_masked(capture):
    logger, stream = capture
    try:
        raise ValueError("duplicate phone 13812345678")
    except ValueError:
        logger.exception("intake failed")
    assert "13812345678" not in stream.getvalue()
    assert "intake failed" in stream.getvalue()


def test_record_without_a_phone_keeps_its_arguments(capture):
    logger, stream = capture
    logger.info("routed %d leads in %.1f s", 3, 1.5)
    assert "routed 3 leads in 1.5 s" in stream.getvalue()


def test_masked_records_reach_caplog_masked(caplog):
    logger = logging.getLogger("parklead.tests.caplog")
    logger.addFilter(PhoneMaskingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="parklead.tests.caplog"):
            logger.info("contact %s", "0731-28881234")
    finally:
        logger.filters.clear()
    assert caplog.messages == ["contact 0731-****1234"]


def test_app_log_handler_masks_phones(app):
    handlers = logging.getLogger().handlers
    assert any(isinstance(f, PhoneMaskingFilter) for h in handlers for f in h.filters)


# --- JSON lines ---------------------------------------------------------------------------------


def test_json_format_emits_one_valid_json_object_per_line(json_capture):
    logger, stream = json_capture
    logger.info("first")
    logger.warning("second %s", "line")

    lines = stream.getvalue().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["message"] for e in entries] == ["first", "second line"]
    assert [e["level"] for e in entries] == ["INFO", "WARNING"]
    assert {e["logger"] for e in entries} == {"parklead.tests.json"}
    assert all(e["ts"] for e in entries)


def test_json_line_masks_phones_and_keeps_chinese_readable(json_capture):
    logger, stream = json_capture
    logger.info("王先生 %s 来电", "13812345678")

    entry = json.loads(stream.getvalue())
    assert entry["message"] == "王先生 138****5678 来电"
    assert "\\u" not in stream.getvalue()


def test_json_line_with_a_multiline_exception_stays_one_line(json_capture):
    logger, stream = json_capture
    try:
        raise RuntimeError("broker down\nwhile routing lead of 13812345678")
    except RuntimeError:
        logger.exception("task failed")

    [line] = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert "RuntimeError" in entry["exc"]
    assert "13812345678" not in entry["exc"]


def test_json_line_survives_quotes_and_newlines_in_the_message(json_capture):
    logger, stream = json_capture
    logger.info('company "湘能"\nsecond line')
    [line] = stream.getvalue().splitlines()
    assert json.loads(line)["message"] == 'company "湘能"\nsecond line'
