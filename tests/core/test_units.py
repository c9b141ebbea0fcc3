"""One 亩 is 666.67 ㎡ everywhere (app/core/units.py, docs/i18n.md "Areas")."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.core.units import M2_PER_MU, m2_to_mu, mu_to_m2
from app.wechat.parsing import parse_enquiry


def test_one_mu_is_666_67_square_metres_exactly():
    assert Decimal("666.67") == M2_PER_MU


@pytest.mark.parametrize(
    ("mu", "m2"),
    [("1", "666.67"), ("10", "6666.70"), ("3", "2000.01"), ("0.5", "333.34"), ("0.001", "0.67")],
)
def test_mu_to_m2_rounds_to_the_hundredth(mu, m2):
    assert mu_to_m2(Decimal(mu)) == Decimal(m2)


@pytest.mark.parametrize("m2", [Decimal("666.67"), 666.67, 20001])
def test_m2_to_mu_takes_decimals_floats_and_whole_numbers(m2):
    assert m2_to_mu(m2) == Decimal(str(m2)) / Decimal("666.67")


def test_m2_to_mu_undoes_mu_to_m2():
    assert m2_to_mu(mu_to_m2(Decimal("30"))) == Decimal("30")


def test_the_parser_uses_the_same_mu():
    area = parse_enquiry("需要30亩地").fields["area_min_m2"].value
    assert area == pytest.approx(30 * 666.67)
