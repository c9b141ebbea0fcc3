"""WeChat's server callback, `GET|POST /wechat/callback` (docs/security.md, docs/api.md)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from app.core.errors import MalformedBody
from app.core.openapi import add_paths, error_responses
from app.wechat import callback, service

bp = Blueprint("wechat", __name__, url_prefix="/wechat")


@bp.get("/callback")
def verify_url() -> Response:
    """WeChat's check when the URL is configured: echo `echostr` if the signature is ours."""
    callback.check_signature(request.args, current_app.config)
    echostr = request.args.get("echostr")
    if echostr is None:
        raise MalformedBody("echostr is missing")
    return Response(echostr, mimetype="text/plain")


@bp.post("/callback")
def receive() -> Response:
    # Set before the body is read: this route's own limit, not the app's 256 KB default.
    request.max_content_length = callback.MAX_BODY_BYTES
    opened = callback.open_delivery(request.get_data(cache=False), request.args, current_app.config)
    reply_xml = service.receive(opened.delivery)
    return callback.reply_response(reply_xml, opened.crypto)


_QUERY = [
    {"name": name, "in": "query", "required": required, "schema": {"type": "string"}}
    for name, required in (
        ("signature", True),
        ("timestamp", True),
        ("nonce", True),
    )
]
_XML = {"schema": {"type": "string"}}
_FORBIDDEN = {
    **error_responses(400)["400"],
    "description": "Missing or wrong signature, or an envelope for another AppId",
}

add_paths(
    {
        "/wechat/callback": {
            "get": {
                "summary": "WeChat server URL check (echostr)",
                "tags": ["wechat"],
                "parameters": [
                    *_QUERY,
                    {
                        "name": "echostr",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": {"description": "The echostr", "content": {"text/plain": _XML}},
                    **error_responses(400),
                    "403": _FORBIDDEN,
                },
            },
            "post": {
                "summary": "Messages and events from WeChat (plain, compatible or safe mode)",
                "tags": ["wechat"],
                "description": "Each delivery is stored first; a repeated MsgId (or "
                "FromUserName + CreateTime for events) is answered with the stored reply. "
                "With `encrypt_type=aes` the body is WeChat's AES envelope and the reply is "
                "encrypted. Menu CLICK keys: NEED_FACTORY, NEED_LAND, NEED_WAREHOUSE, "
                "NEED_OFFICE, NEED_INCUBATOR, NEED_REGISTRATION, NEED_INVESTMENT, "
                "CONTACT_AGENT, START.",
                "parameters": [
                    *[{**p, "required": False} for p in _QUERY],
                    {"name": "encrypt_type", "in": "query", "schema": {"enum": ["raw", "aes"]}},
                    {"name": "msg_signature", "in": "query", "schema": {"type": "string"}},
                    {"name": "openid", "in": "query", "schema": {"type": "string"}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {"text/xml": _XML, "application/xml": _XML},
                },
                "responses": {
                    "200": {
                        "description": "A passive reply (XML, encrypted in safe mode), or "
                        "`success` when there is nothing to say",
                        "content": {"application/xml": _XML, "text/plain": _XML},
                    },
                    **error_responses(400, 413),
                    "403": _FORBIDDEN,
                },
            },
        }
    }
)
