"""WeChat's server callback, `GET|POST /wechat/callback` (docs/security.md, docs/api.md)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from app.core.apidoc import api_doc
from app.core.errors import MalformedBody
from app.core.limiter import unlimited
from app.wechat import callback, service
from app.wechat.shapes import Delivery, UrlCheck

bp = Blueprint("wechat", __name__, url_prefix="/wechat")

_XML = {"type": "string"}
_FORBIDDEN = {403: "Missing or wrong signature, or an envelope for another AppId"}


@bp.get("/callback")
@api_doc(
    "WeChat server URL check (echostr)",
    tags="wechat",
    query=UrlCheck,
    responses={200: ({"text/plain": _XML}, "The echostr")},
    errors={400: None, **_FORBIDDEN},
)
def verify_url() -> Response:
    """WeChat's check when the URL is configured: echo `echostr` if the signature is ours."""
    callback.check_signature(request.args, current_app.config)
    echostr = request.args.get("echostr")
    if echostr is None:
        raise MalformedBody("echostr is missing")
    return Response(echostr, mimetype="text/plain")


@bp.post("/callback")
@api_doc(
    "Messages and events from WeChat (plain, compatible or safe mode)",
    tags="wechat",
    description="Each delivery is stored first; a repeated MsgId (or FromUserName + "
    "CreateTime for events) is answered with the stored reply. With `encrypt_type=aes` the "
    "body is WeChat's AES envelope and the reply is encrypted. Menu CLICK keys: NEED_FACTORY, "
    "NEED_LAND, NEED_WAREHOUSE, NEED_OFFICE, NEED_INCUBATOR, NEED_REGISTRATION, "
    "NEED_INVESTMENT, CONTACT_AGENT, START.",
    query=Delivery,
    body_media={"text/xml": _XML, "application/xml": _XML},
    responses={
        200: (
            {"application/xml": _XML, "text/plain": _XML},
            "A passive reply (XML, encrypted in safe mode), or `success` when there is "
            "nothing to say",
        )
    },
    errors={400: None, 413: None, **_FORBIDDEN},
)
@unlimited  # WeChat's servers: no per-IP limit, and flask-limiter is not asked
def receive() -> Response:
    # Set before the body is read: this route's own limit, not the app's 256 KB default.
    request.max_content_length = callback.MAX_BODY_BYTES
    opened = callback.open_delivery(request.get_data(cache=False), request.args, current_app.config)
    reply_xml = service.receive(opened.delivery)
    return callback.reply_response(reply_xml, opened.crypto)
