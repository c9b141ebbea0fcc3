"""`parklead seed-demo` adds the demo listings with their drawings, so the demo leads have
matches at once; a second run adds nothing (docs/listings.md "Demo")."""

from __future__ import annotations

import zlib

from sqlalchemy import func, select

from app.core.db import db
from app.demo import seed
from app.leads.models import Lead
from app.listings import service
from app.listings.demo import DEMO_LISTINGS
from app.listings.drawings import drawing
from app.listings.models import Listing, ListingPhoto


def test_a_drawing_is_a_valid_png():
    data = drawing("factory", (96, 125, 160), width=40, height=30)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert service.sniff_image(data) == ("image/png", "png")
    idat = data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8]
    assert len(zlib.decompress(idat)) == 30 * (1 + 40 * 3)


def test_seed_demo_adds_listings_the_demo_leads_match(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LISTINGS_PHOTO_DIR", str(tmp_path / "photos"))
    seed(6, echo=lambda _text: None)
    assert db.session.scalar(select(func.count()).select_from(Listing)) == len(DEMO_LISTINGS)
    assert len(DEMO_LISTINGS) >= 30
    assert db.session.scalar(select(func.count()).select_from(ListingPhoto)) == len(DEMO_LISTINGS)
    assert {listing.district for listing in db.session.scalars(select(Listing))} == {
        "天元区", "芦淞区", "荷塘区", "石峰区", "渌口区"
    }  # fmt: skip
    for lead in db.session.scalars(select(Lead)):
        assert service.match_listings_for_lead(lead, limit=3), lead.company
    seed(6, echo=lambda _text: None)
    assert db.session.scalar(select(func.count()).select_from(Listing)) == len(DEMO_LISTINGS)
