"""schemathesis hooks for ``make fuzz`` (loaded through ``SCHEMATHESIS_HOOKS``).

* Every operation is called as its real caller would: admin routes with an admin key,
  session-only routes with a candidate session token (a fresh one for each log-out), routes
  open to both keys and sessions with either, the rest with the region key.
* Path parameters are usually taken from the ids ``bench/fuzz.py`` seeded, so they resolve;
  logging in sometimes uses a code that was (as if) emailed.
* Every answer is recorded (operation, status, size) for the per-operation summary, and a check
  fails any answer of 1 MB or more.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import strategies as st

SEEDS: dict[str, Any] = json.loads(Path(os.environ["FUZZ_SEEDS"]).read_text())
_STATS = Path(os.environ["FUZZ_STATS"]).open("a", buffering=1)  # noqa: SIM115 (whole run)
MAX_RESPONSE_BYTES = 1_000_000
# Share of the cases on routes open to both a key and a session that use the session.
SESSION_SHARE = 0.4


def _raw(operation: Any) -> dict[str, Any]:
    return getattr(operation.definition, "raw", {}) or {}


def _security(operation: Any) -> set[str]:
    return {name for requirement in _raw(operation).get("security", []) for name in requirement}


@schemathesis.auth(refresh_interval=None)
class CallerAuth:
    """Chooses the credential per operation; ``refresh_interval=None``: asked for every case."""

    def get(self, case: Any, context: Any) -> dict[str, str]:
        raw = _raw(case.operation)
        security = _security(case.operation)
        if raw.get("operationId") == "auth_session_delete":
            tokens = SEEDS["spare_sessions"]
            token = tokens.pop() if tokens else SEEDS["session"]
            return {"Authorization": f"Bearer {token}"}
        if security == {"bearerAuth"} or (
            "bearerAuth" in security and random.random() < SESSION_SHARE
        ):
            return {"Authorization": f"Bearer {SEEDS['session']}"}
        if "Admin" in raw.get("tags", []):
            return {"x-api-key": SEEDS["admin_key"]}
        return {"x-api-key": SEEDS["region_key"]}

    def set(self, case: Any, data: dict[str, str], context: Any) -> None:
        case.headers = {**(case.headers or {}), **data}


@schemathesis.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    parameters = dict(path_parameters or {})
    seeded = {name: SEEDS["path"][name] for name in parameters if SEEDS["path"].get(name)}
    if not seeded:
        return st.just(parameters)
    with_seeds = st.fixed_dictionaries(
        {name: st.sampled_from(values) for name, values in seeded.items()}
    ).map(lambda chosen: {**parameters, **chosen})
    # Mostly ids that exist; sometimes the generated ones, so 404s stay covered.
    return st.sampled_from([True, True, True, False]).flatmap(
        lambda use_seeds: with_seeds if use_seeds else st.just(parameters)
    )


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Log in as a candidate does: sometimes with a code that was really emailed. schemathesis
    re-validates a case a ``before_call`` hook changed, so a negative case stays honest."""
    if _raw(case.operation).get("operationId") != "auth_session_create":
        return
    if SEEDS["codes"] and random.random() < SESSION_SHARE:
        case.body = SEEDS["codes"].pop()


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    size = len(response.content or b"")
    _STATS.write(f"{case.operation.label}\t{response.status_code}\t{size}\n")


@schemathesis.check
def response_under_1_mb(ctx: Any, response: Any, case: Any) -> bool | None:
    size = len(response.content or b"")
    if size >= MAX_RESPONSE_BYTES:
        raise AssertionError(f"The response is {size} bytes; every answer stays under 1 MB.")
    return None
