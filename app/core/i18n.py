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
from flask_babel import Babel, get_locale, refresh

LANGUAGES = ("zh", "en")
TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
M2_PER_MU = Decimal("666.67")


def current_language() -> str:
    """?lang= (remembered in the session), then the session, then Accept-Language; zh.
    Outside a request (Celery tasks, CLI) the default: Chinese."""
    if not has_request_context():
        return "zh"
    chosen = (request.args.get("lang") or request.form.get("lang") or "").lower()
    if chosen in LANGUAGES:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"])
    return "en" if best == "en" else "zh"


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


def localtime(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime(fmt)


def wan(value: Decimal | float | None) -> str:
    """Money in 万元, as Chinese offices count it."""
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f}".rstrip("0").rstrip(".") + " 万元"


def area(value: Decimal | float | None) -> str:
    """Square metres with 亩 beside (1 亩 = 666.67 ㎡)."""
    if value is None:
        return "—"
    m2 = Decimal(value)
    return f"{m2:,.0f} ㎡ ({m2 / M2_PER_MU:,.1f} 亩)"


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
    app.jinja_env.filters.update(localtime=localtime, wan=wan, area=area)
    app.jinja_env.globals["get_locale"] = get_locale
    # Flask-Babel caches the locale on `g`; a request inside a reused app context must not
    # inherit the previous request's language.
    app.before_request(refresh)
