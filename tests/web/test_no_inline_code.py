"""The CSP forbids inline script and style: no template may carry any (docs/security.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
TEMPLATES = sorted(APP.glob("**/templates/**/*.html"))
INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.I)


def test_every_template_is_checked():
    names = {p.relative_to(APP).as_posix() for p in TEMPLATES}
    assert "web/templates/enquiry.html" in names
    assert "admin/templates/admin/rules.html" in names
    assert "reports/templates/reports/page.html" in names
    assert any(n.startswith("workspace/templates/") for n in names)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.relative_to(APP).as_posix())
def test_template_has_no_inline_script_or_style(path):
    assert not INLINE.findall(path.read_text(encoding="utf-8"))
