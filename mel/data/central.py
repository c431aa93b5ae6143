"""Pulling a form's submissions from an ODK Central server (its REST API and OData feed).

A session is opened with the user's email and password (``POST /v1/sessions``, both read from
the environment variables mel.yaml names), the submissions are read page by page from
``/v1/projects/P/forms/F.svc/Submissions`` (``$top``, ``$skip``, ``$count``, ``$expand=*`` so
that repeat groups come inline), and the session is closed again. Each submission is kept as
KoboToolbox's API writes one (answers keyed by their group path, repeat groups as lists, the
submission's id as ``_id``), so that a snapshot reads the same way whichever server it came
from. An edited submission keeps its ``__id`` on Central: the snapshot holds it once."""

from __future__ import annotations

import contextlib
import json
import urllib.parse

from mel.data.pull import _fail, _secret, paged, parse_page, request
from mel.definitions.models import OdkSource


def _session(source: OdkSource, email: str, password: str) -> str:
    base = source.odk.rstrip("/")
    body = json.dumps({"email": email, "password": password}).encode()
    secrets = (email, password)
    raw = request(
        source,
        f"{base}/v1/sessions",
        "the sign-in",
        {"Content-Type": "application/json"},
        body=body,
        method="POST",
        secrets=secrets,
    )
    try:
        token = json.loads(raw.decode("utf-8"))["token"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
        raise _fail(
            source,
            "the sign-in's answer holds no session token",
            "check that 'odk' in mel.yaml is the Central server's address",
        ) from None
    return str(token)


def _flat(value: dict, prefix: str = "") -> dict:
    """An OData submission as KoboToolbox writes one: groups as paths, repeats as lists."""
    out: dict = {}
    for key, v in value.items():
        if key.endswith("@odata.navigationLink") or key == "__system":
            continue
        path = f"{prefix}{key}"
        if isinstance(v, dict):
            out.update(_flat(v, f"{path}/"))
        elif isinstance(v, list):
            out[path] = [_flat(x, f"{path}/") if isinstance(x, dict) else x for x in v]
        else:
            out[path] = v
    return out


def _record(value: dict) -> dict:
    rec = _flat(value)
    system = value.get("__system") or {}
    rec["_id"] = value.get("__id")
    if isinstance(system, dict) and system.get("submissionDate"):
        rec["_submission_time"] = system["submissionDate"]
    return rec


def central_fetch(source: OdkSource, datasets: list[str], progress=None) -> list:
    email = _secret(source.email_env, "the Central user's email", datasets, "your sign-in")
    password = _secret(source.password_env, "the Central password", datasets, "your sign-in")
    token = _session(source, email, password)
    secrets = (email, password, token)
    base = source.odk.rstrip("/")
    form = urllib.parse.quote(source.form, safe="")
    feed = f"{base}/v1/projects/{source.project}/forms/{form}.svc/Submissions"

    def get_page(page: int, skip: int) -> tuple[int, list]:
        query = urllib.parse.urlencode(
            {"$top": source.page_size, "$skip": skip, "$count": "true", "$expand": "*"}
        )
        where = f"page {page} of {source.what}"
        raw = request(
            source,
            f"{feed}?{query}",
            where,
            {"Authorization": f"Bearer {token}"},
            page=page,
            secrets=secrets,
        )
        count, values = parse_page(source, raw, where, "@odata.count", "value", secrets)
        return count, [_record(v) for v in values if isinstance(v, dict)]

    try:
        return paged(source, get_page, progress)
    finally:
        with contextlib.suppress(Exception):  # sign out: the session ends now, not in 24 h
            request(
                source,
                f"{base}/v1/sessions/{urllib.parse.quote(token, safe='')}",
                "the sign-out",
                {"Authorization": f"Bearer {token}"},
                method="DELETE",
                secrets=secrets,
            )


__all__ = ["central_fetch"]
