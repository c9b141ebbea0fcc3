"""Schemathesis over the whole OpenAPI document, against the WSGI app, anonymous and as admin
(docs/security.md): no answer may be a 5xx, and every status must be one the document lists
for that operation. Examples are bounded so the run stays well under a minute."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from app.accounts.models import Role

pytestmark = pytest.mark.slow

# Per operation and caller: valid requests, then requests the document says are invalid.
EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 3}
CHECKS = [not_a_server_error, status_code_conformance]


def operations(app) -> list[Any]:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def exercise(
    operation: Any, mode: GenerationMode, headers: dict[str, str], failures: list[str]
) -> None:
    """EXAMPLES[mode] generated cases of `operation`; each failure is recorded, none stops the
    run (and none is shrunk: the report names the case, that is enough to reproduce it)."""

    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy(generation_mode=mode))
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except AssertionError as exc:  # schemathesis reports failed checks this way
            failures.append(
                f"{operation.label} ({mode.value}): " + " | ".join(str(exc).splitlines()[:8])
            )
        except Exception as exc:
            failures.append(f"{operation.label}: {type(exc).__name__}: {exc}"[:400])

    try:
        check()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE, operation.label  # e.g. no input to get wrong


def run(app, headers: dict[str, str]) -> tuple[list[str], int]:
    failures: list[str] = []
    ops = operations(app)
    for operation in ops:
        for mode in EXAMPLES:
            exercise(operation, mode, headers, failures)
    return failures, len(ops)


def test_anonymous_callers_get_only_documented_non_5xx_answers(app):
    failures, count = run(app, {})
    assert count >= 40  # the whole document, not a part of it
    assert not failures, "\n".join(failures)


def test_an_admin_gets_only_documented_non_5xx_answers(app, make_agent, default_team, token_for):
    admin = make_agent("boss", role=Role.ADMIN, team=default_team)
    failures, _count = run(app, token_for(admin))
    assert not failures, "\n".join(failures)
