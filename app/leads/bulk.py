"""Leads in bulk (docs/leads.md "Import and export"): CSV/XLSX import with a dry run,
CSV/XLSX export.

Import
------
The first non-empty row holds the headers; Chinese and English names are both accepted (see
COLUMNS; case, spaces and a unit in brackets such as "年税收（万元）" are ignored). Unknown
columns are listed and ignored. Each row is checked by the rules of the enquiry form
(`EnquiryIn`): errors come back as (row, column, field, message), the row number being the
spreadsheet's own (the header is row 1 when it is the first row).

A row whose phone already has an open lead, or repeats the phone of an earlier row, is a
duplicate: reported and skipped, never imported twice (docs/leads.md "Intake and dedupe").

The real run is all or nothing: if any row has an error, nothing is written and the same
report comes back with 400; otherwise every valid, non-duplicate row becomes a lead (channel
`import`) in one transaction, and routing runs for each after the commit.

Export
------
Any filtered list, as CSV (UTF-8 with BOM, so Excel opens it right) or XLSX, at most
EXPORT_MAX_ROWS rows (beyond: 400 asking for narrower filters). The column headers are the
import's, so an export can be edited and imported again. Cells that a spreadsheet would run
as a formula (=, +, -, @, tab, CR at the start) are prefixed with an apostrophe, unless they
are plain numbers such as +8613812345678 (`app.core.spreadsheets.safe_cell`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import ValidationError
from sqlalchemy import Select, func, select

from app.accounts.models import Agent
from app.core.db import db
from app.core.errors import AppError, ValidationFailed
from app.core.i18n import localtime
from app.core.logging import mask_phones
from app.core.spreadsheets import safe_cell
from app.core.units import mu_to_m2
from app.core.validation import validation_error
from app.leads import service
from app.leads.models import OPEN_STATUSES, Channel, Deal, Lead, NeedType
from app.leads.schemas import EnquiryIn

MAX_IMPORT_ROWS = 5000
MAX_IMPORT_BYTES = 5 * 1024 * 1024
# A 5 MB XLSX may unpack to far more; refuse archives that would (zip bombs).
MAX_XLSX_UNPACKED_BYTES = 100 * 1024 * 1024
EXPORT_MAX_ROWS = 50_000


@dataclass(frozen=True, slots=True)
class Column:
    field: str
    zh: str  # the header the export writes in Chinese
    en: str  # ... and in English; both are accepted on import
    aliases: tuple[str, ...] = ()


# The documented layout (README "Importing leads"). `area` is not a lead column: it takes a
# value or a range, in ㎡ or 亩, and fills area_min_m2 / area_max_m2.
COLUMNS: tuple[Column, ...] = (
    Column("company", "公司", "company", ("公司名称", "企业", "企业名称", "单位")),
    Column("contact_name", "联系人", "contact_name", ("姓名", "contact", "name")),
    Column("phone", "电话", "phone", ("手机", "手机号", "联系电话", "mobile", "tel")),
    Column("wechat_id", "微信号", "wechat_id", ("微信", "wechat")),
    Column("need_type", "需求", "need_type", ("需求类型", "need")),
    Column("deal", "租售", "deal", ("租或买", "租赁方式")),
    Column("area", "面积", "area", ("需求面积",)),
    Column("area_min_m2", "最小面积", "area_min_m2", ("面积下限", "area_min")),
    Column("area_max_m2", "最大面积", "area_max_m2", ("面积上限", "area_max")),
    Column("industry", "行业", "industry", ("用途", "产业")),
    Column("tax_wan", "年税收", "tax_wan", ("税收", "预计年税收", "tax")),
    Column("investment_wan", "投资额", "investment_wan", ("投资", "investment")),
    Column("employees", "员工数", "employees", ("员工", "人数")),
    Column("timeline", "时间要求", "timeline", ("计划时间", "时间")),
    Column("district", "区域", "district", ("意向区域", "地区")),
    Column("message", "备注", "message", ("留言", "说明", "note")),
    # Requirements for the matching of listings (docs/listings.md).
    Column("ceiling_height_min_m", "最低层高", "ceiling_height_min_m", ("层高", "层高要求")),
    Column("crane_t", "行车吨位", "crane_t", ("行车", "吊车")),
    Column("power_kva", "配电容量", "power_kva", ("配电", "用电容量", "power")),
    Column("floor_load_t_m2", "地面承重", "floor_load_t_m2", ("承重", "floor_load")),
    Column("eia_category", "环评类别", "eia_category", ("环评", "eia")),
    Column("budget_rent_yuan_m2_month", "租金预算", "budget_rent_yuan_m2_month", ("预算租金",)),
    Column("budget_land_wan_per_mu", "地价预算", "budget_land_wan_per_mu", ("土地预算",)),
    Column("utm_source", "来源", "utm_source", ("source",)),
)

NEED_WORDS: dict[str, NeedType] = {
    "土地": NeedType.LAND, "用地": NeedType.LAND, "工业用地": NeedType.LAND,
    "厂房": NeedType.FACTORY, "标准厂房": NeedType.FACTORY,
    "仓库": NeedType.WAREHOUSE, "仓储": NeedType.WAREHOUSE,
    "办公": NeedType.OFFICE, "写字楼": NeedType.OFFICE, "写字楼/办公": NeedType.OFFICE,
    "孵化器": NeedType.INCUBATOR, "工位": NeedType.INCUBATOR,
    "孵化器/工位": NeedType.INCUBATOR,
    "注册": NeedType.REGISTRATION, "总部落户": NeedType.REGISTRATION,
    "注册/总部落户": NeedType.REGISTRATION,
    "投资": NeedType.INVESTMENT, "投资合作": NeedType.INVESTMENT, "项目合作": NeedType.INVESTMENT,
    "其他": NeedType.OTHER,
}  # fmt: skip
DEAL_WORDS: dict[str, Deal] = {
    "租": Deal.RENT, "租赁": Deal.RENT, "出租": Deal.RENT, "求租": Deal.RENT,
    "买": Deal.BUY, "购买": Deal.BUY, "出售": Deal.BUY, "购置": Deal.BUY,
    "定制": Deal.BUILD_TO_SUIT, "代建": Deal.BUILD_TO_SUIT, "定制代建": Deal.BUILD_TO_SUIT,
    "都可以": Deal.ANY, "均可": Deal.ANY, "租售均可": Deal.ANY, "不限": Deal.ANY,
}  # fmt: skip
_AREA = re.compile(
    r"^([0-9][0-9,]*(?:\.[0-9]+)?)\s*(?:(?:-|~|～|—|至|到)\s*([0-9][0-9,]*(?:\.[0-9]+)?))?\s*"
    r"(亩|㎡|m2|m²|平方米|平米|平方|平)?$"
)


def _header_key(text: str) -> str:
    """Headers compare without case, spaces, '*' marks or a unit in brackets."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"\(.*?\)|\[.*?\]", "", text)
    return re.sub(r"[\s*]", "", text)


_HEADERS: dict[str, str] = {
    _header_key(name): column.field
    for column in COLUMNS
    for name in (column.zh, column.en, *column.aliases)
}


def column_for(header: str) -> str | None:
    return _HEADERS.get(_header_key(header))


# --- reading files -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sheet:
    headers: list[str]
    header_row: int
    rows: Iterator[tuple[int, list[Any]]]  # (spreadsheet row number, cells)


def read_sheet(data: bytes) -> Sheet:
    """The header row and the data rows of a CSV or XLSX file (told apart by content)."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationFailed(
            f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it",
            fields={"file": "too large"},
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationFailed(
            "this is an old Excel (.xls) file; save it as .xlsx or .csv",
            fields={"file": "xls is not supported"},
        )
    numbered = _xlsx_rows(data) if data.startswith(b"PK\x03\x04") else _csv_rows(data)
    for number, cells in numbered:
        if _blank_row(cells):
            continue
        headers = ["" if c is None else str(c).strip() for c in cells]
        return Sheet(headers, number, numbered)
    raise ValidationFailed("the file is empty", fields={"file": "no header row"})


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Chinese Windows saves CSV in GBK.
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise ValidationFailed(
                "the CSV is neither UTF-8 nor GBK text", fields={"file": "unreadable"}
            ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise ValidationFailed(f"the CSV is malformed: {exc}", fields={"file": str(exc)}) from None


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_XLSX_UNPACKED_BYTES:
            raise ValidationFailed(
                "the workbook unpacks to more than 100 MB", fields={"file": "too large"}
            )
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError):
        raise ValidationFailed(
            "the file is not a readable XLSX workbook", fields={"file": "unreadable"}
        ) from None
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(row)
    finally:
        workbook.close()


def _blank_row(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


# --- the import --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str | None
    field: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "field": self.field,
                "message": self.message}  # fmt: skip


@dataclass(slots=True)
class ImportReport:
    dry_run: bool
    columns: dict[str, str] = field(default_factory=dict)  # header in the file -> field
    ignored_columns: list[str] = field(default_factory=list)
    rows: int = 0  # data rows read (blank rows not counted)
    valid: int = 0  # rows that would be (or were) imported
    errors: list[RowError] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    created: list[Lead] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "columns": self.columns,
            "ignored_columns": self.ignored_columns,
            "rows": self.rows,
            "valid": self.valid,
            "errors": [e.as_dict() for e in self.errors],
            "duplicates": self.duplicates,
            "created": len(self.created),
            "leads": [{"id": lead.id, "reference": lead.reference} for lead in self.created],
        }


@dataclass(frozen=True, slots=True)
class _Row:
    number: int
    fields: dict[str, Any]
    source: dict[str, str]


def import_leads(data: bytes, *, by: Agent, filename: str = "", dry_run: bool) -> ImportReport:
    """Check (and unless `dry_run`, import) a CSV/XLSX file; see the module docstring.

    The real run raises ValidationFailed (nothing written) when any row has an error, with the
    report's errors in the error body. The caller commits.
    """
    sheet = read_sheet(data)
    report = ImportReport(dry_run=dry_run)
    positions = _map_columns(sheet.headers, report)
    good: list[_Row] = []
    for number, cells in sheet.rows:
        if _blank_row(cells):
            continue
        report.rows += 1
        if report.rows > MAX_IMPORT_ROWS:
            raise ValidationFailed(
                f"the file has more than {MAX_IMPORT_ROWS} rows; split it",
                fields={"file": "too many rows"},
            )
        values = {name: cells[i] if i < len(cells) else None for i, name in positions.items()}
        row = _check_row(number, values, sheet.headers, positions, report)
        if row is not None:
            good.append(row)
    fresh = _drop_duplicates(good, report)
    report.valid = len(fresh)
    if dry_run:
        return report
    if report.errors:
        raise ValidationFailed(
            f"{len({e.row for e in report.errors})} rows have errors; nothing was imported",
            code="import_rejected",
            extra={"report": report.as_dict()},
        )
    batch = uuid.uuid4().hex[:12]
    rows = [
        (row.fields, {**row.source, "import": filename[:100], "row": str(row.number),
                      "batch": batch})
        for row in fresh
    ]  # fmt: skip
    report.created = service.create_leads(
        rows, channel=Channel.IMPORT, actor="agent", agent_id=by.id
    )
    return report


def _map_columns(headers: list[str], report: ImportReport) -> dict[int, str]:
    positions: dict[int, str] = {}
    seen: dict[str, str] = {}
    for index, header in enumerate(headers):
        if not header:
            continue
        name = column_for(header)
        if name is None:
            report.ignored_columns.append(header)
            continue
        if name in seen:
            raise ValidationFailed(
                f"columns {seen[name]!r} and {header!r} both mean {name}; keep one",
                fields={"file": f"two {name} columns"},
            )
        seen[name] = header
        positions[index] = name
        report.columns[header] = name
    if not {"phone", "wechat_id"} & set(positions.values()):
        raise ValidationFailed(
            "the file needs a phone (电话) or WeChat ID (微信号) column; see the column layout",
            fields={"file": "no phone column"},
        )
    return positions


def _check_row(
    number: int,
    values: dict[str, Any],
    headers: list[str],
    positions: dict[int, str],
    report: ImportReport,
) -> _Row | None:
    header_of = {name: headers[i] for i, name in positions.items()}
    payload: dict[str, Any] = {}
    problems: list[RowError] = []
    for name, raw in values.items():
        try:
            _put(payload, name, raw)
        except ValueError as exc:
            problems.append(RowError(number, header_of[name], name, str(exc)))
    # The other cells are still checked, so one pass reports every problem of the row.
    try:
        enquiry = EnquiryIn.model_validate(payload)
    except ValidationError as exc:
        failed = validation_error(exc)
        for name, message in failed.fields.items():
            column = header_of.get(name) or header_of.get("area")
            problems.append(RowError(number, column, name, message))
        if not failed.fields:
            problems.append(RowError(number, None, None, failed.message))
    if problems:
        report.errors.extend(problems)
        return None
    return _Row(number, enquiry.lead_fields(), enquiry.source())


_NUMBER_FIELDS = (
    "area_min_m2", "area_max_m2", "tax_wan", "investment_wan", "ceiling_height_min_m",
    "crane_t", "floor_load_t_m2", "budget_rent_yuan_m2_month", "budget_land_wan_per_mu",
)  # fmt: skip


def _put(payload: dict[str, Any], name: str, raw: Any) -> None:
    """Put one cell into the enquiry payload, translating what a spreadsheet holds."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return
    if name == "area":
        low, high = parse_area(raw)
        payload.setdefault("area_min_m2", low)
        payload.setdefault("area_max_m2", high)
    elif name == "need_type":
        payload[name] = _choice(raw, NeedType, NEED_WORDS, "need")
    elif name == "deal":
        payload[name] = _choice(raw, Deal, DEAL_WORDS, "deal")
    elif name in _NUMBER_FIELDS:
        payload[name] = _number(raw)
    elif name in ("employees", "power_kva"):
        payload[name] = int(raw) if isinstance(raw, float) and raw.is_integer() else raw
    elif name == "phone" and isinstance(raw, int | float) and not isinstance(raw, bool):
        payload[name] = str(int(raw))  # a phone typed into Excel becomes a number
    else:
        payload[name] = _text(raw)


def _text(raw: Any) -> str:
    if isinstance(raw, dt.datetime | dt.date):
        return raw.isoformat()
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _number(raw: Any) -> Any:
    if isinstance(raw, bool):
        return raw  # validation says "must be a number"
    if isinstance(raw, float):
        return Decimal(str(raw))
    if isinstance(raw, str):
        return raw.strip().replace(",", "")
    return raw


def parse_area(raw: Any) -> tuple[Decimal, Decimal]:
    """A 面积 cell: 5000, 3000-5000, 30亩, 20~30亩, 5,000㎡ → (min, max) in ㎡."""
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        value = Decimal(str(raw))
        return value, value
    text = unicodedata.normalize("NFKC", str(raw)).strip().lower().replace(" ", "")
    match = _AREA.match(text)
    if not match:
        raise ValueError("is not an area (e.g. 5000, 3000-5000, 30亩)")
    try:
        low = Decimal(match.group(1).replace(",", ""))
        high = Decimal(match.group(2).replace(",", "")) if match.group(2) else low
    except InvalidOperation:
        raise ValueError("is not an area (e.g. 5000, 3000-5000, 30亩)") from None
    if match.group(3) == "亩":
        low, high = mu_to_m2(low), mu_to_m2(high)
    return low, high


def _choice(raw: Any, kind: type, words: dict[str, Any], what: str) -> Any:
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    for member in kind:
        if text.lower() == member.value:
            return member.value
    if text in words:
        return words[text].value
    allowed = "、".join(sorted(words)) + " / " + ", ".join(m.value for m in kind)
    raise ValueError(f"unknown {what} {text!r}; use one of {allowed}")


def _drop_duplicates(rows: list[_Row], report: ImportReport) -> list[_Row]:
    """Rows whose phone has an open lead, or an earlier row's phone, are reported and skipped."""
    phones = sorted({r.fields["phone"] for r in rows if r.fields.get("phone")})
    open_leads: dict[str, Lead] = {}
    for start in range(0, len(phones), 500):
        chunk = phones[start : start + 500]
        stmt = select(Lead).where(Lead.phone.in_(chunk), Lead.status.in_(OPEN_STATUSES))
        open_leads.update({lead.phone: lead for lead in db.session.scalars(stmt) if lead.phone})
    first_row: dict[str, int] = {}
    fresh = []
    for row in rows:
        phone = row.fields.get("phone")
        if phone and phone in open_leads:
            lead = open_leads[phone]
            report.duplicates.append(
                {
                    "row": row.number,
                    "phone": phone,
                    "lead_id": lead.id,
                    "reference": lead.reference,
                }
            )
        elif phone and phone in first_row:
            report.duplicates.append(
                {"row": row.number, "phone": phone, "same_as_row": first_row[phone]}
            )
        else:
            if phone:
                first_row[phone] = row.number
            fresh.append(row)
    return fresh


# --- the export --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportColumn:
    zh: str
    en: str
    value: Callable[[Lead, str | None, Callable[[Any], str]], Any]


def _field(name: str) -> Callable[[Lead, str | None, Callable[[Any], str]], Any]:
    return lambda lead, _agent, _label: getattr(lead, name)


def _labelled(name: str) -> Callable[[Lead, str | None, Callable[[Any], str]], Any]:
    def value(lead: Lead, _agent: str | None, label: Callable[[Any], str]) -> Any:
        member = getattr(lead, name)
        return label(member) if member is not None else None

    return value


def _at(name: str) -> Callable[[Lead, str | None, Callable[[Any], str]], Any]:
    return lambda lead, _agent, _label: localtime(getattr(lead, name), empty="")


EXPORT_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("编号", "reference", lambda lead, _a, _l: lead.reference),
    ExportColumn("状态", "status", _labelled("status")),
    ExportColumn("渠道", "channel", _labelled("channel")),
    *(
        ExportColumn(c.zh, c.en, _labelled(c.field) if c.field in ("need_type", "deal")
                     else _field(c.field))
        for c in COLUMNS
        if c.field not in ("area", "utm_source", "message")
    ),
    ExportColumn("负责人", "agent", lambda _lead, agent, _l: agent),
    ExportColumn("评分", "score", _field("score")),
    ExportColumn("创建时间", "created_at", _at("created_at")),
    ExportColumn("首次联系", "first_contacted_at", _at("first_contacted_at")),
    ExportColumn("下次跟进", "next_follow_up_at", _at("next_follow_up_at")),
    ExportColumn("SLA截止", "sla_due_at", _at("sla_due_at")),
    ExportColumn("流失原因", "lost_reason", _field("lost_reason")),
    ExportColumn("备注", "message", _field("message")),
)  # fmt: skip


def _with_agents(stmt: Select) -> Select:
    return stmt.add_columns(Agent.name).outerjoin(Agent, Agent.id == Lead.agent_id)


def check_export_size(stmt: Select, limit: int | None = None) -> int:
    """How many rows `stmt` gives, or 400 when more than `limit` (EXPORT_MAX_ROWS unless
    given; counted only up to limit + 1)."""
    limit = EXPORT_MAX_ROWS if limit is None else limit
    bounded = stmt.with_only_columns(Lead.id).order_by(None).limit(limit + 1).subquery()
    count = db.session.scalar(select(func.count()).select_from(bounded)) or 0
    if count > limit:
        raise AppError(
            f"more than {limit:,} leads match; narrow the filters (for example by status, "
            "district or date) and export in parts",
            code="export_too_large",
            fields={"limit": str(limit)},
            extra={"limit": limit},
        )
    return count


def export_rows(
    stmt: Select, *, english: bool, label: Callable[[Any], str], mask_phones: bool = False
) -> Iterator[list[Any]]:
    """The header row, then one row per lead of `stmt` (ordered), read in batches. With
    `mask_phones`, phone numbers show as 138****5678 (docs/security.md)."""
    yield [c.en if english else c.zh for c in EXPORT_COLUMNS]
    masked = {i for i, c in enumerate(EXPORT_COLUMNS) if c.en == "phone"} if mask_phones else set()
    result = db.session.execute(_with_agents(stmt).execution_options(yield_per=500))
    for lead, agent_name in result:
        row = [_cell(c.value(lead, agent_name, label)) for c in EXPORT_COLUMNS]
        for i in masked:
            row[i] = mask_phone(row[i])
        yield [safe_cell(value) for value in row]


def mask_phone(value: Any) -> Any:
    """A phone number with its middle digits hidden; anything else as it is."""
    if not isinstance(value, str) or not value:
        return value
    masked = mask_phones(value)
    if masked == value:  # not recognised: keep the last four digits only
        return "*" * max(len(value) - 4, 0) + value[-4:]
    # 138****5678: the national form, which no spreadsheet reads as a formula as it would +86….
    return masked.removeprefix("+86")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def csv_chunks(rows: Iterable[list[Any]], batch: int = 200) -> Iterator[bytes]:
    """CSV as UTF-8 with a BOM, in chunks of `batch` rows (a streamed response)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff".encode()
    for n, row in enumerate(rows, start=1):
        writer.writerow(row)
        if n % batch == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def xlsx_file(rows: Iterable[list[Any]]) -> IO[bytes]:
    """An XLSX workbook of `rows` in a temporary file (write-only: memory stays flat)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("leads")
    for row in rows:
        sheet.append(row)
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - streamed later
    workbook.save(spool)
    spool.seek(0)
    return spool


def file_chunks(handle: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    try:
        while chunk := handle.read(size):
            yield chunk
    finally:
        handle.close()
