"""The limit apps of the intake and callback benchmarks: the least any implementation that
stores before it answers must pay, with Flask + psycopg 3 and nothing else (issue 14).

    gunicorn 'limit_app:create_app()'      (DATABASE_URL: a database migrated by ParkLead)

- `POST /api/leads` (intake limit): parse the JSON, insert the lead row and its "created" event
  in ONE statement and transaction (`INSERT ... ON CONFLICT DO NOTHING` on ParkLead's open-phone
  unique index `uq_lead_open_phone`, the event inserted from its RETURNING), commit, answer 201
  with the receipt. No validation beyond the JSON shape, no scoring, no hand-off.
- `POST /wechat/callback` (callback limit): check WeChat's signature (sha1 of the sorted token,
  timestamp and nonce: a few microseconds, and no correct callback can skip it), parse the
  XML, insert the delivery into `inbound_message` under its unique MsgId, commit, answer a
  passive XML reply. Its dedupe keys start with "limit:" so that the benchmark can tell its
  rows from ParkLead's in the same table.

Both use ParkLead's real tables in the benchmark's own database, so they pay for the same
indexes, foreign keys and WAL as ParkLead. One psycopg connection per gunicorn thread (opened
on first use and kept), autocommit off: each request is one transaction and one commit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
import xml.etree.ElementTree as ET
from typing import Any

import psycopg
from flask import Flask, Response, request

OPEN = "('new','assigned','contacted','qualified','site_visit','negotiating')"

# The lead and its "created" event in one statement: the event is inserted only when the lead
# was (ON CONFLICT DO NOTHING on the open-phone index returns no row for a known phone). Its
# leads are marked routed so that ParkLead's worker, which routes young unrouted leads along
# with its own batches, leaves them alone and spends nothing of the measurement on them.
INTAKE_SQL = f"""
WITH new_lead AS (
    INSERT INTO lead (channel, source, need_type, deal, area_min_m2, area_max_m2, industry,
                      district, company, contact_name, phone, message, status, score,
                      created_at, last_activity_at, version, sla_level, stage_reached,
                      routed_at)
    VALUES ('web_form', %(source)s, %(need_type)s, %(deal)s, %(area_min_m2)s, %(area_max_m2)s,
            %(industry)s, %(district)s, %(company)s, %(contact_name)s, %(phone)s, %(message)s,
            'new', 0, now(), now(), 1, 0, 0, now())
    ON CONFLICT (phone) WHERE status IN {OPEN} DO NOTHING
    RETURNING id, created_at
)
INSERT INTO lead_event (lead_id, type, actor, data, created_at)
SELECT id, 'created', 'prospect', %(event)s, created_at FROM new_lead
RETURNING lead_id
"""

CALLBACK_SQL = """
INSERT INTO inbound_message (dedupe_key, openid, msg_type, raw_xml, received_at)
VALUES (%s, %s, %s, %s, now())
ON CONFLICT (dedupe_key) DO NOTHING
"""

REPLY = (
    "<xml><ToUserName><![CDATA[{to}]]></ToUserName><FromUserName><![CDATA[{me}]]>"
    "</FromUserName><CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[收到，我们的招商顾问会尽快联系您。]]></Content></xml>"
)

_LEAD_FIELDS = (
    "need_type", "deal", "area_min_m2", "area_max_m2", "industry", "district", "company",
    "contact_name", "phone", "message",
)  # fmt: skip
_UTM = ("utm_source", "utm_medium", "utm_campaign")


def create_app() -> Flask:
    app = Flask(__name__)
    url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    token = os.environ.get("WECHAT_TOKEN", "")
    local = threading.local()

    def connection() -> psycopg.Connection[Any]:
        conn = getattr(local, "conn", None)
        if conn is None or conn.closed:
            conn = local.conn = psycopg.connect(url)
        return conn

    @app.post("/api/leads")
    def intake() -> Response:
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return Response(b'{"error":"a JSON object"}', 400, mimetype="application/json")
        values = {name: payload.get(name) for name in _LEAD_FIELDS}
        source = {name: payload[name] for name in _UTM if name in payload}
        values["source"] = json.dumps(source, ensure_ascii=False)
        values["event"] = json.dumps({"channel": "web_form", "source": source}, ensure_ascii=False)
        conn = connection()
        with conn.cursor() as cur:
            cur.execute(INTAKE_SQL, values)
            row = cur.fetchone()
        conn.commit()
        if row is None:  # the phone has an open lead: a real app would merge (not measured)
            return Response(b'{"created":false}', 200, mimetype="application/json")
        body = json.dumps({"id": row[0], "status": "new", "created": True})
        return Response(body, 201, mimetype="application/json")

    @app.post("/wechat/callback")
    def callback() -> Response:
        args = request.args
        signed = "".join(sorted((token, args.get("timestamp", ""), args.get("nonce", ""))))
        expected = hashlib.sha1(signed.encode()).hexdigest()
        if not hmac.compare_digest(expected, args.get("signature", "")):
            return Response("bad signature", 403)
        raw = request.get_data()
        try:
            root = ET.fromstring(raw)
        except ET.ParseError:
            return Response("malformed XML", 400)
        fields = {child.tag: (child.text or "") for child in root}
        openid = fields.get("FromUserName", "")
        conn = connection()
        conn.execute(
            CALLBACK_SQL,
            (
                f"limit:msg:{openid}:{fields.get('MsgId', '')}",
                openid,
                fields.get("MsgType", ""),
                raw.decode("utf-8", "replace"),
            ),
        )
        conn.commit()
        reply = REPLY.format(to=openid, me=fields.get("ToUserName", ""), now=int(time.time()))
        return Response(reply, mimetype="application/xml")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response(b'{"status":"ok"}', mimetype="application/json")

    return app
