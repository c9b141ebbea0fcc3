"""Every room's tables in one metadata, for Alembic's autogenerate and the model checks.

The top level knows every room; `app.core` (the ground floor) knows none, so the list lives
here: a new domain adds its models module below (docs/architecture.md, "Adding a domain").
"""

from __future__ import annotations

from sqlalchemy import MetaData


def model_metadata() -> MetaData:
    """The metadata of every model, imported here so autogenerate and checks see them all."""
    import app.accounts.models
    import app.audit.models
    import app.leads.models
    import app.listings.models
    import app.notifications.models
    import app.reports.models
    import app.routing.models
    import app.settings.models
    import app.wechat.models  # noqa: F401
    from app.core.db import Base

    return Base.metadata
