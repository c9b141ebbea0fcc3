"""Fixtures of the WeChat tests: listings to match (the bot answers with fitting listings)."""

from tests.listings.conftest import make_listing  # noqa: F401 - the fixture
