"""What the admin's page modules (`routes`, `settings_pages`) share: the `admin_pages`
blueprint both hang their pages on and the admin-only guard. Page modules import this; it
imports none of them."""

from __future__ import annotations

from flask import Blueprint
from werkzeug.wrappers import Response

from app.accounts.models import Role
from app.accounts.pages_auth import role_required

bp = Blueprint("admin_pages", __name__, url_prefix="/app/admin", template_folder="templates")
admin_only = role_required(Role.ADMIN)
PageResult = Response | tuple[str, int]
