"""Units of land and floor area: the 亩 (mu) beside the square metre.

One 亩 is 666.67 ㎡ throughout ParkLead (the forms, the import, the parser, matching and the
pages), the rounded figure people in the parks use; docs/i18n.md "Areas".
"""

from __future__ import annotations

from decimal import Decimal

M2_PER_MU = Decimal("666.67")
_CENT = Decimal("0.01")


def mu_to_m2(mu: Decimal) -> Decimal:
    """An area given in 亩, in ㎡ to the hundredth (3 亩 → 2000.01)."""
    return (mu * M2_PER_MU).quantize(_CENT)


def m2_to_mu(m2: Decimal | float | int) -> Decimal:
    """An area in ㎡, in 亩 (unrounded: the caller rounds for its display)."""
    return Decimal(str(m2)) / M2_PER_MU
