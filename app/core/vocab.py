"""Words several rooms share, kept on the ground floor so each can use them without importing
the others: what a prospect needs (a lead's need type, an agent's skills, a routing rule's
condition, a listing's fit). docs/leads.md lists the values."""

from __future__ import annotations

import enum


class NeedType(enum.StrEnum):
    LAND = "land"
    FACTORY = "factory"
    WAREHOUSE = "warehouse"
    OFFICE = "office"
    INCUBATOR = "incubator"
    REGISTRATION = "registration"
    INVESTMENT = "investment"
    OTHER = "other"
