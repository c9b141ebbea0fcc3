"""Listing photos over HTTP: checked by content, size-limited, stored once, served cacheable."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.core.db import db
from app.listings.models import ListingPhoto


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, tiny PNG (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return len(data).to_bytes(4, "big") + kind + data + crc.to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    rows = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64 + b"\xff\xd9"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


@pytest.fixture
def photo_dir(app, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "photos"
    monkeypatch.setitem(app.config, "LISTINGS_PHOTO_DIR", str(folder))
    return folder


def multipart(data: bytes, name: str, **form: str) -> tuple[bytes, str]:
    """A multipart/form-data body with `file` and text fields, built in memory."""
    boundary = "----parklead-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in form.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def upload(client, listing, headers, data: bytes, name: str = "photo.png", **form):
    body, content_type = multipart(data, name, **form)
    return client.post(
        f"/api/listings/{listing.id}/photos", data=body, headers=headers, content_type=content_type
    )


def photo_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(ListingPhoto))


@pytest.mark.parametrize(
    ("data", "content_type", "ext"),
    [(png_bytes(), "image/png", "png"), (JPEG, "image/jpeg", "jpg"), (WEBP, "image/webp", "webp")],
    ids=["png", "jpeg", "webp"],
)
def test_upload_is_typed_by_content_and_served_immutable(
    client, manager, token_for, make_listing, photo_dir, data, content_type, ext
):
    listing = make_listing()
    headers = token_for(manager)
    response = upload(client, listing, headers, data, name="whatever.bin", caption="外立面")
    assert response.status_code == 201, response.get_json()
    photo = response.get_json()
    assert photo["content_type"] == content_type
    assert photo["url"].endswith(f".{ext}")
    assert photo["caption"] == "外立面"
    assert photo["size_bytes"] == len(data)
    stored = list(photo_dir.iterdir())
    assert [p.name for p in stored] == [photo["url"].rsplit("/", 1)[1]]

    served = client.get(photo["url"])
    assert served.status_code == 200
    assert served.data == data
    assert served.mimetype == content_type
    assert "immutable" in served.headers["Cache-Control"]
    assert "max-age=31536000" in served.headers["Cache-Control"]
    etag = served.headers["ETag"]
    served.close()
    again = client.get(photo["url"], headers={"If-None-Match": etag})
    again.close()
    assert again.status_code == 304

    detail = client.get(f"/api/listings/{listing.id}", headers=headers).get_json()
    assert [p["url"] for p in detail["photos"]] == [photo["url"]]
    assert detail["events"][-1]["type"] == "photo_added"


def test_a_file_that_is_not_an_image_is_refused(
    client, manager, token_for, make_listing, photo_dir
):
    listing = make_listing()
    response = upload(client, listing, token_for(manager), b"MZ\x90\x00 not a picture", "a.png")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "not_an_image"
    assert photo_rows() == 0
    assert not photo_dir.exists() or not any(photo_dir.iterdir())


def test_an_image_over_the_limit_is_413(
    app, client, manager, token_for, make_listing, photo_dir, monkeypatch
):
    monkeypatch.setitem(app.config, "LISTINGS_PHOTO_MAX_BYTES", 100_000)
    listing = make_listing()
    big = png_bytes() + b"\x00" * 150_000
    response = upload(client, listing, token_for(manager), big)
    assert response.status_code == 413
    assert photo_rows() == 0
    # Just over the limit but within the request allowance: refused by the photo check.
    just_over = png_bytes() + b"\x00" * 100_000
    response = upload(client, listing, token_for(manager), just_over)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert photo_rows() == 0


def test_a_50_mb_upload_is_413_without_reading_it(
    client, manager, token_for, make_listing, photo_dir
):
    listing = make_listing()
    body, content_type = multipart(png_bytes(), "big.png")
    response = client.post(
        f"/api/listings/{listing.id}/photos",
        data=body,
        headers=token_for(manager),
        content_type=content_type,
        environ_overrides={"CONTENT_LENGTH": str(50 << 20)},  # as declared by the sender
    )
    assert response.status_code == 413
    assert photo_rows() == 0


def test_the_same_image_is_stored_once(client, manager, token_for, make_listing, photo_dir):
    first, second = make_listing(), make_listing()
    headers = token_for(manager)
    data = png_bytes(3, 3)
    a = upload(client, first, headers, data).get_json()
    b = upload(client, second, headers, data).get_json()
    assert a["url"] == b["url"]
    assert len(list(photo_dir.iterdir())) == 1


def test_photo_urls_are_accepted_and_checked(client, manager, token_for, make_listing):
    listing = make_listing()
    headers = token_for(manager)
    url = f"/api/listings/{listing.id}/photos"
    ok = client.post(url, json={"url": "https://img.example.com/a.jpg"}, headers=headers)
    assert ok.status_code == 201
    assert ok.get_json()["url"] == "https://img.example.com/a.jpg"
    assert ok.get_json()["uploaded"] is False
    bad = client.post(url, json={"url": "javascript:alert(1)"}, headers=headers)
    assert bad.status_code == 400
    assert "url" in bad.get_json()["error"]["fields"]


def test_removing_a_photo(client, manager, token_for, make_listing):
    listing = make_listing()
    headers = token_for(manager)
    photo = client.post(
        f"/api/listings/{listing.id}/photos",
        json={"url": "https://a.example/x.png"},
        headers=headers,
    ).get_json()
    removed = client.delete(f"/api/listings/{listing.id}/photos/{photo['id']}", headers=headers)
    assert removed.status_code == 200
    assert removed.get_json()["photos"] == []
    assert removed.get_json()["events"][-1]["type"] == "photo_removed"
    again = client.delete(f"/api/listings/{listing.id}/photos/{photo['id']}", headers=headers)
    assert again.status_code == 404


def test_photo_names_that_are_not_ours_are_404(client):
    assert client.get("/listings/photos/..%2Fsecret_key").status_code == 404
    assert client.get("/listings/photos/abc.exe").status_code == 404
    assert client.get("/listings/photos/deadbeef.png").status_code == 404
