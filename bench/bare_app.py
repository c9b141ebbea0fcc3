"""The baseline of the intake benchmark: a bare Flask app whose intake endpoint only answers 201.

`bench/intake.py` serves it with exactly the gunicorn settings it uses for ParkLead, so the
ratio of the two throughputs is what ParkLead's own work costs (validation, the database
transaction, the hand-off to Celery) on top of gunicorn + Flask themselves.

    gunicorn 'bench.bare_app:create_app()'
"""

from __future__ import annotations

from flask import Flask, Response, request

_BODY = b'{"status":"new"}'


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/api/leads")
    def create_lead() -> Response:
        request.get_data()  # read the body, as any real endpoint must
        return Response(_BODY, status=201, mimetype="application/json")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response(b'{"status":"ok"}', mimetype="application/json")

    return app
