"""Thin task wrappers around listings. Tasks take ids and are idempotent."""

from __future__ import annotations

import logging

from celery import shared_task
from sqlalchemy.exc import OperationalError

from app.core.db import db
from app.listings import service

log = logging.getLogger(__name__)


@shared_task(
    name="tasks.listings.notify_matching_leads",
    autoretry_for=(OperationalError,),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=10,
)
def notify_matching_leads(listing_id: int) -> int:
    """Tell the agents of a listing's best open leads (once per listing and lead)."""
    with db.transaction():
        told = service.notify_matching_leads(listing_id)
    if told:
        log.info("listing %s announced to the agents of %s leads", listing_id, told)
    return told
