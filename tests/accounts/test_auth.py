"""POST /api/auth/token and the bearer tokens it issues (docs/security.md, docs/api.md)."""

from __future__ import annotations

import itsdangerous.timed
import pytest

from app.accounts import service as accounts
from app.core.db import db

PASSWORD = "correct-horse-battery"  # the conftest agents' password
NEW_PASSWORD = "a-brand-new-passphrase"


def login(client, login_name: str, password: str):
    return client.post("/api/auth/token", json={"login": login_name, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert "token" not in body
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_right_password_gives_a_working_token(client, app, agent):
    response = login(client, "zhang", PASSWORD)
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == app.config["TOKEN_MAX_AGE_SECONDS"]
    assert body["agent"] == {
        "id": agent.id, "login": "zhang", "name": agent.name, "role": "agent",
    }  # fmt: skip
    assert client.get("/api/leads", headers=bearer(body["token"])).status_code == 200


def test_wrong_password_is_401(client, agent):
    error = assert_error(login(client, "zhang", "wrong-horse-battery"), 401, "bad_credentials")
    assert "wrong login or password" in error["message"]


def test_unknown_login_is_401_like_a_wrong_password(client, agent):
    unknown = assert_error(login(client, "nobody", PASSWORD), 401)
    wrong = assert_error(login(client, "zhang", "wrong-horse-battery"), 401)
    assert unknown == wrong


def test_inactive_agent_cannot_log_in(client, make_agent, default_team):
    make_agent("gone", team=default_team, active=False)
    assert_error(login(client, "gone", PASSWORD), 401, "bad_credentials")


def test_token_of_a_deactivated_agent_stops_working(client, agent):
    token = login(client, "zhang", PASSWORD).get_json()["token"]
    agent.active = False
    db.session.commit()
    assert_error(client.get("/api/leads", headers=bearer(token)), 401, "invalid_token")


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({}, {"login", "password"}),
        ({"login": "zhang"}, {"password"}),
        ({"password": PASSWORD}, {"login"}),
        ({"login": "", "password": ""}, {"login", "password"}),
        ({"login": "zhang", "password": 12345678}, {"password"}),
        ({"login": ["zhang"], "password": PASSWORD}, {"login"}),
        ({"login": None, "password": None}, {"login", "password"}),
    ],
)
def test_missing_or_non_text_credentials_are_400(client, agent, body, missing):
    error = assert_error(client.post("/api/auth/token", json=body), 400)
    assert set(error["fields"]) == missing


def test_credentials_as_a_form_are_415(client, agent):
    response = client.post("/api/auth/token", data={"login": "zhang", "password": PASSWORD})
    assert_error(response, 415)


def test_malformed_credentials_json_is_400(client, agent):
    response = client.post(
        "/api/auth/token", data='{"login": "zhang",', content_type="application/json"
    )
    assert_error(response, 400, "malformed_body")


def test_token_is_revoked_by_a_password_change(client, agent):
    old = login(client, "zhang", PASSWORD).get_json()["token"]
    assert client.get("/api/leads", headers=bearer(old)).status_code == 200
    accounts.set_password(agent, NEW_PASSWORD)
    db.session.commit()
    assert_error(client.get("/api/leads", headers=bearer(old)), 401, "token_revoked")


def test_new_password_works_and_old_one_does_not_after_a_change(client, agent):
    accounts.set_password(agent, NEW_PASSWORD)
    db.session.commit()
    assert_error(login(client, "zhang", PASSWORD), 401)
    fresh = login(client, "zhang", NEW_PASSWORD)
    assert fresh.status_code == 200
    assert client.get("/api/leads", headers=bearer(fresh.get_json()["token"])).status_code == 200


def test_expired_token_is_401(client, app, agent, monkeypatch):
    token = login(client, "zhang", PASSWORD).get_json()["token"]
    max_age = app.config["TOKEN_MAX_AGE_SECONDS"]
    real = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: real(self) + max_age + 1
    )
    error = assert_error(client.get("/api/leads", headers=bearer(token)), 401, "token_expired")
    assert "expired" in error["message"]


def test_token_just_inside_its_lifetime_still_works(client, app, agent, monkeypatch):
    token = login(client, "zhang", PASSWORD).get_json()["token"]
    max_age = app.config["TOKEN_MAX_AGE_SECONDS"]
    real = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: real(self) + max_age - 5
    )
    assert client.get("/api/leads", headers=bearer(token)).status_code == 200


def test_tampered_token_is_401(client, agent):
    token = login(client, "zhang", PASSWORD).get_json()["token"]
    payload, _, rest = token.partition(".")
    tampered = payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + rest
    assert_error(client.get("/api/leads", headers=bearer(tampered)), 401, "invalid_token")


def test_token_for_an_agent_that_does_not_exist_is_401(client, agent):
    forged = accounts._serializer().dumps({"agent": agent.id + 10_000})
    assert_error(client.get("/api/leads", headers=bearer(forged)), 401, "invalid_token")


@pytest.mark.usefixtures("app")
def test_password_is_stored_as_an_argon2_hash(agent):
    assert agent.password_hash.startswith("$argon2id$")
    assert PASSWORD not in agent.password_hash


@pytest.mark.usefixtures("app")
def test_equal_passwords_get_different_hashes(make_agent, default_team):
    first = make_agent("a1", team=default_team)
    second = make_agent("a2", team=default_team)
    assert first.password_hash != second.password_hash


@pytest.mark.usefixtures("app")
def test_password_change_stores_a_new_argon2_hash(agent):
    old_hash = agent.password_hash
    accounts.set_password(agent, NEW_PASSWORD)
    db.session.commit()
    assert agent.password_hash.startswith("$argon2id$")
    assert agent.password_hash != old_hash
    assert NEW_PASSWORD not in agent.password_hash


def test_repeated_login_attempts_are_rate_limited(client, agent):
    # Failed attempts from one address: 20 a minute (LOGIN_ADDRESS_RATE_LIMIT), whatever the
    # login; the account lock is tested in test_login_lockout.py.
    statuses = [login(client, f"guess-{i}", "wrong-horse-battery").status_code for i in range(21)]
    assert set(statuses[:20]) == {401}
    assert statuses[20] == 429
    assert_error(login(client, "zhang", PASSWORD), 429, "too_many_attempts")
