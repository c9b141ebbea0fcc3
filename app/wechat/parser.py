"""The enquiry parser moved to :mod:`app.wechat.parsing`; this name stays for existing callers."""

from app.wechat.parsing import (
    FIELD_NAMES,
    MAX_CHARS,
    SQM_PER_MU,
    DistrictListError,
    DistrictSet,
    ParsedField,
    ParseResult,
    fold,
    load_districts,
    parse_enquiry,
)

__all__ = [
    "FIELD_NAMES",
    "MAX_CHARS",
    "SQM_PER_MU",
    "DistrictListError",
    "DistrictSet",
    "ParseResult",
    "ParsedField",
    "fold",
    "load_districts",
    "parse_enquiry",
]
