"""Languages and display formats: zh-CN by default, English by a switch (Flask-Babel).

Message ids are the Chinese texts; `app/translations/en/.../messages.po` holds the English.
The catalogue is compiled to `.mo` at start-up when the `.po` is newer, so no build step and
no binary files in the repository.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel, get_locale, gettext, refresh
from werkzeug.exceptions import HTTPException

from app.core.phones import display_phone, tel_href
from app.core.units import m2_to_mu

LANGUAGES = ("zh", "en")
TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"


def current_language() -> str:
    """?lang= (remembered in the session), then the session, then Accept-Language; zh.
    Outside a request (Celery tasks, CLI) the default: Chinese."""
    if not has_request_context():
        return "zh"
    try:
        form_lang = request.form.get("lang")
    except HTTPException:  # a body too large to read: its error page still needs a language
        form_lang = None
    chosen = (request.args.get("lang") or form_lang or "").lower()
    if chosen in LANGUAGES:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"])
    return "en" if best == "en" else "zh"


def language_named() -> bool:
    """Whether the client named a language (?lang=, the session, Accept-Language). The JSON
    API answers clients that named none in the English its messages are written in
    (docs/i18n.md); pages are Chinese unless English is chosen."""
    if not has_request_context():
        return False
    chosen = (request.args.get("lang") or "").lower()
    return (
        chosen in LANGUAGES
        or session.get("lang") in LANGUAGES
        or bool(request.headers.get("Accept-Language"))
    )


def compile_catalogues(target: Path) -> None:
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = target / po_path.relative_to(TRANSLATIONS).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        tmp = mo_path.with_suffix(".tmp")
        with tmp.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        tmp.replace(mo_path)  # atomic: several workers may start at once


def localtime(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M", *, empty: str = "—") -> str:
    """A moment in the office's time zone (Beijing time, config TIMEZONE) as `fmt`; `empty`
    for no moment. The one place stored UTC becomes local text (docs/i18n.md)."""
    if value is None:
        return empty
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime(fmt)


# English month names, not strftime's %b: that follows the server's C locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def when(value: dt.datetime | str | None, *, now: dt.datetime | None = None) -> str:
    """A moment in Beijing time, written as people write dates: 12月8日 10:00 this year,
    2026年12月8日 10:00 otherwise (English: 8 Dec 10:00, 8 Dec 2026 10:00). docs/i18n.md"""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    local = value.astimezone(zone)
    this_year = (now or dt.datetime.now(dt.UTC)).astimezone(zone).year == local.year
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if str(get_locale() or "zh") == "en":
        month = _MONTHS[local.month - 1]
        day = f"{local.day} {month}" if this_year else f"{local.day} {month} {local.year}"
        return f"{day} {clock}"
    day = f"{local.month}月{local.day}日"
    return f"{day} {clock}" if this_year else f"{local.year}年{day} {clock}"


def day(value: dt.date | None) -> str:
    """A calendar day as people write it: 2026年3月2日 (English 2 Mar 2026)."""
    if value is None:
        return "—"
    if str(get_locale() or "zh") == "en":
        return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
    return f"{value.year}年{value.month}月{value.day}日"


def _number(value: Decimal, places: str) -> str:
    text = f"{value:,{places}}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def wan(value: Decimal | float | None) -> str:
    """Money in 万元, as Chinese offices count it."""
    if value is None:
        return "—"
    return gettext("%(n)s 万元", n=_number(Decimal(value), ".2f"))


def area(value: Decimal | float | None) -> str:
    """Square metres with 亩 beside (1 亩 = 666.67 ㎡)."""
    if value is None:
        return "—"
    m2 = Decimal(value)
    return gettext("%(m2)s ㎡ (%(mu)s 亩)", m2=f"{m2:,.0f}", mu=f"{m2_to_mu(m2):,.1f}")


def init_i18n(app: Flask) -> None:
    compiled = Path(app.instance_path) / "translations"
    compile_catalogues(compiled)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(compiled))
    Babel(
        app,
        locale_selector=current_language,
        timezone_selector=lambda: current_app.config["TIMEZONE"],
    )
    app.jinja_env.filters.update(
        localtime=localtime,
        wan=wan,
        area=area,
        when=when,
        day=day,
        phone=display_phone,
        tel=tel_href,
    )
    app.jinja_env.globals["get_locale"] = get_locale
    # Flask-Babel caches the locale on `g`; a request inside a reused app context must not
    # inherit the previous request's language.
    app.before_request(refresh)
