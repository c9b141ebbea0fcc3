"""Security headers on every response (docs/security.md).

The Content-Security-Policy allows scripts and styles from our own origin only: no inline
`<script>`, no `style=""` attributes, no event-handler attributes. Page behaviour lives in
app/web/static/*.js and looks lives in the static style sheets; the SVG charts use classes.
"""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Lead pages carry ids in their URLs; other sites learn nothing of them.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


_ITEMS = list(HEADERS.items())
_NAMES = frozenset(name.lower() for name in HEADERS)


def init_security_headers(app: Flask) -> None:
    hsts = f"max-age={app.config['HSTS_MAX_AGE_SECONDS']}; includeSubDomains"

    @app.after_request
    def _security_headers(response: Response) -> Response:
        if _NAMES.isdisjoint(name.lower() for name, _value in response.headers):
            response.headers.extend(_ITEMS)  # the usual case, in one step
        else:
            for name, value in _ITEMS:
                response.headers.setdefault(name, value)
        # Only over HTTPS (directly, or X-Forwarded-Proto with PARKLEAD_PROXY_COUNT set):
        # browsers ignore it on plain HTTP, and sending it there would be misleading.
        if request.is_secure and app.config["HSTS_MAX_AGE_SECONDS"]:
            response.headers.setdefault("Strict-Transport-Security", hsts)
        return response
