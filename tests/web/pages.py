"""Helpers for tests of the HTML pages: session login with CSRF, and reading what a page shows
(an element's text by id, an inline SVG chart as XML)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

from flask import Flask, g, has_app_context
from flask.testing import FlaskClient

from tests.conftest import PASSWORD

SVG_NS = "{http://www.w3.org/2000/svg}"


class PageClient(FlaskClient):
    """A browser of its own. The tests' app context outlives requests, and Flask-Login and
    Flask-WTF cache the user and the CSRF token on `g`; without clearing them one client's
    login would leak into the next client's requests."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            for name in ("_login_user", "csrf_token"):
                g.pop(name, None)
        return super().open(*args, **kwargs)


def page_client(app: Flask, login: str | None = None) -> PageClient:
    client = PageClient(app, app.response_class, use_cookies=True)
    if login is not None:
        log_in(client, login)
    return client


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"{path} has a form with a CSRF token"
    return match.group(1)


def log_in(client: FlaskClient, login: str, password: str = PASSWORD) -> None:
    response = client.post(
        "/login", data={"login": login, "password": password, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


class _TextOf(HTMLParser):
    VOID = {"input", "br", "img", "meta", "link", "hr", "rect", "line"}

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id
        self.depth = 0
        self.parts: list[str] = []
        self.found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.element_id:
            self.depth, self.found = 1, True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in self.VOID:
            self.depth -= 1
            if self.depth:
                self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def text_of(html: str, element_id: str) -> str:
    """The text inside the element with `element_id`, whitespace collapsed."""
    parser = _TextOf(element_id)
    parser.feed(html)
    assert parser.found, f"no element with id {element_id!r}"
    return " ".join("".join(parser.parts).split())


def chart(html: str, chart_id: str) -> ET.Element:
    match = re.search(rf'<svg[^>]*\bid="{re.escape(chart_id)}".*?</svg>', html, re.S)
    assert match, f"no inline SVG chart {chart_id!r}"
    return ET.fromstring(match.group(0))


def chart_values(svg: ET.Element, cls: str = "value") -> dict[str, str]:
    """{data-key: text} of the chart's <text class="{cls}"> elements."""
    return {
        el.get("data-key", ""): (el.text or "")
        for el in svg.iter(f"{SVG_NS}text")
        if cls in (el.get("class") or "").split()
    }
