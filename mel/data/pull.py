"""``mel pull``: a project's form data fetched from its KoboToolbox server into a dated snapshot
file, so that reports are made from files (and the report's manifest hashes the file used).

KoboToolbox API v2 (``/api/v2/assets/UID/data/?format=json``) sends the records in pages of at
most 30,000 (``start`` and ``limit``), each page ``{"count", "next", "previous", "results"}``.
The token is read from the environment variable mel.yaml names, and sent only in the request's
``Authorization`` header: it never appears in a message, a log or a file. A pull that fails for
any reason (refused token, unknown form, no answer, a page that is not JSON or not a data page,
a missing page, fewer records than the server counted, an interrupted download) writes nothing:
the previous snapshot stays as it was. A submission edited on the server keeps its ``_id``: the
snapshot holds its last version once."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import os
import socket
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mel.data.exports import SNAPSHOT_FORMAT, latest_versions, load_snapshot
from mel.definitions.forms import SNAPSHOT_SUFFIX, newest_snapshot
from mel.definitions.models import KoboSource, OdkSource
from mel.definitions.yamlio import display_path
from mel.errors import DataError, Finding, UsageError

MAX_PAGE = 30000


class PullError(DataError):
    """A pull that failed; nothing was written."""


@dataclass
class Pulled:
    datasets: list[str]
    folder: str
    file: str | None  # the snapshot written, or None when the data had not changed
    records: int  # as the server sent them
    kept: int  # one version of each submission
    unchanged_since: str | None = None


Source = KoboSource | OdkSource


def _fail(source: Source, message: str, hint: str | None = None, secrets=()) -> PullError:
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    kept = "nothing was written; the previous snapshot is as it was"
    return PullError(
        Finding(
            "pull-failed",
            message,
            file=source.server,
            hint=f"{hint}; {kept}" if hint else kept,
            scope="dataset",
            severity="error",
        )
    )


def _secret(name: str, what: str, datasets: list[str], hint: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise UsageError(
            Finding(
                "pull-failed",
                f"the environment variable {name} ({what} for {', '.join(datasets)}) is not set",
                scope="dataset",
                hint=f"set it first, e.g. export {name}=... ({hint})",
            )
        )
    return value


def request(
    source: Source,
    url: str,
    where: str,
    headers: dict[str, str],
    *,
    page: int = 1,
    body: bytes | None = None,
    method: str | None = None,
    secrets=(),
) -> bytes:
    """One HTTP request; every failure a PullError saying what happened (never a secret)."""
    req = urllib.request.Request(  # noqa: S310 - http(s) only: mel.yaml's model checks it
        url, data=body, headers={"Accept": "application/json", **headers}, method=method
    )
    try:
        with urllib.request.urlopen(req, timeout=source.timeout) as response:  # noqa: S310
            return response.read()
    except urllib.error.HTTPError as exc:
        raise _http_error(source, exc.code, where, page, secrets) from None
    except TimeoutError:
        raise _no_answer(source, where) from None
    except (http.client.IncompleteRead, ConnectionError, http.client.HTTPException) as exc:
        raise _fail(
            source,
            f"the download of {where} was interrupted ({type(exc).__name__})",
            "try again",
            secrets,
        ) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            raise _no_answer(source, where) from None
        raise _fail(
            source,
            f"cannot reach {source.server}: {exc.reason}",
            "check the server's address in mel.yaml and the network",
            secrets,
        ) from None


def _no_answer(source: Source, where: str) -> PullError:
    return _fail(
        source,
        f"{source.server} did not answer within {source.timeout:g} s ({where})",
        "try again later, or raise 'timeout' under the dataset's source in mel.yaml",
    )


def _http_error(source: Source, code: int, where: str, page: int, secrets) -> PullError:
    if code in (401, 403):
        names = " and ".join(source.secrets)
        return _fail(
            source,
            f"{source.server} refused the credentials in {names} (HTTP {code}, {where})",
            "check that they are current and their account may view the form's submissions",
        )
    if code == 404 and page > 1:
        return _fail(
            source,
            f"{where} is missing (HTTP 404): the first pages came, this one did not",
            "pull again; if it persists, the server is failing",
        )
    if code == 404:
        return _fail(
            source,
            f"{source.server} has no {source.what} (HTTP 404, {where})",
            "check the form under 'source:' in mel.yaml: its id is in its address on the server",
        )
    return _fail(
        source, f"{source.server} answered HTTP {code} ({where})", "try again later", secrets
    )


def parse_page(source: Source, raw: bytes, where: str, count_key: str, results_key: str, secrets):
    """(the number of records the server counts, this page's records)."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(
            source,
            f"{where} is not JSON ({getattr(exc, 'msg', exc)})",
            "the server may be failing; try again later",
            secrets,
        ) from None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get(results_key), list)
        or not isinstance(data.get(count_key), int)
    ):
        raise _fail(
            source,
            f"{where} is not a data page (no '{count_key}' and '{results_key}')",
            "check the server's address under 'source:' in mel.yaml",
        )
    return data[count_key], data[results_key]


def paged(source: Source, get_page: Callable[[int, int], tuple[int, list]], progress=None) -> list:
    """Every record, page by page (``get_page(page number, records so far)``), checked
    against the server's count."""
    records: list = []
    count: int | None = None
    page = 1
    while count is None or len(records) < count:
        n, results = get_page(page, len(records))
        if count is not None and n != count:
            raise _fail(
                source,
                f"the number of records changed during the pull ({count:,} then {n:,})",
                "submissions arrived meanwhile: pull again",
            )
        count = n
        if not results and len(records) < count:
            raise _fail(
                source,
                f"the server counted {count:,} records and sent {len(records):,} (page "
                f"{page} of {source.what} was empty)",
                "pull again; if it persists, the server is failing",
            )
        records += results
        if progress:
            progress(f"page {page}: {len(records):,} of {count:,} records")
        page += 1
    if len(records) != count:
        raise _fail(
            source,
            f"the server counted {count:,} records and sent {len(records):,}",
            "pull again; if it persists, the server is failing",
        )
    return records


# --- KoboToolbox ---------------------------------------------------------------------------------


def kobo_fetch(source: KoboSource, datasets: list[str], progress=None) -> list:
    token = _secret(
        source.token_env,
        "the API token",
        datasets,
        "your token is on the server's Account settings > Security page",
    )
    base = source.kobo.rstrip("/")
    asset = urllib.parse.quote(source.asset, safe="")

    def get_page(page: int, start: int) -> tuple[int, list]:
        query = urllib.parse.urlencode(
            {"format": "json", "start": start, "limit": min(source.page_size, MAX_PAGE)}
        )
        where = f"page {page} of {source.what}"
        raw = request(
            source,
            f"{base}/api/v2/assets/{asset}/data/?{query}",
            where,
            {"Authorization": f"Token {token}"},
            page=page,
            secrets=(token,),
        )
        return parse_page(source, raw, where, "count", "results", (token,))

    return paged(source, get_page, progress)


def fetch(source: Source, datasets: list[str], progress=None) -> list:
    """Every record of the source's form, as the snapshot keeps them."""
    if isinstance(source, OdkSource):
        from mel.data.central import central_fetch

        return central_fetch(source, datasets, progress)
    return kobo_fetch(source, datasets, progress)


def _digest(records: list) -> str:
    return hashlib.sha256(json.dumps(records, sort_keys=True).encode()).hexdigest()


def pull_source(
    root: Path,
    source: Source,
    folder: str,
    datasets: list[str],
    *,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> Pulled:
    """Fetch one server form into a new snapshot under ``root/folder``; nothing is written
    when the pull fails or the data has not changed since the newest snapshot."""
    records = fetch(source, datasets, progress)
    kept, _ = latest_versions(records, source.server)
    target = root / folder
    digest = _digest(kept)
    previous = newest_snapshot(target) if target.is_dir() else None
    if previous is not None:
        try:
            old = load_snapshot(previous, display_path(previous))
            if old.get("sha256") == digest:
                return Pulled(datasets, folder, None, len(records), len(kept), previous.name)
        except DataError:
            pass  # an unreadable snapshot: a new one is written beside it
    now = now or dt.datetime.now(dt.UTC)
    name = f"{now.strftime('%Y%m%dT%H%M%SZ')}{SNAPSHOT_SUFFIX}"
    body = {
        "format": SNAPSHOT_FORMAT,
        "server": source.server,
        "asset": source.asset,
        "pulled": now.isoformat(timespec="seconds"),
        "count": len(kept),
        "sha256": digest,
        "results": kept,
    }
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    _write_atomic(target / name, text.encode("utf-8"))
    return Pulled(datasets, folder, display_path(target / name), len(records), len(kept))


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".pulling-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as any file the user writes (mkstemp's is private)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _groups(bundle, only: list[str] | None) -> dict[tuple, tuple[Source, list[str]]]:
    """(server, form, folder) -> (its source, the datasets read from it)."""
    groups: dict[tuple, tuple[Source, list[str]]] = {}
    for name, ref in bundle.project.datasets.items():
        if ref.source is None or (only and name not in only):
            continue
        key = (ref.source.server, ref.source.asset, ref.path)
        groups.setdefault(key, (ref.source, []))[1].append(name)
    if not groups:
        raise UsageError(
            "no dataset of this project names a server to pull from"
            + (f" among {', '.join(only)}" if only else "")
            + ": give a dataset a 'source:' (kobo, asset, token_env) in mel.yaml"
        )
    return groups


def plan(bundle, *, only: list[str] | None = None) -> list[str]:
    """What ``mel pull`` would fetch, and whether each token variable is set (never its value)."""
    lines = []
    for (server, _asset, folder), (source, names) in _groups(bundle, only).items():
        target = bundle.root / folder
        newest = newest_snapshot(target) if target.is_dir() else None
        ready = ", ".join(
            f"{v}: {'set' if os.environ.get(v, '').strip() else 'NOT SET'}" for v in source.secrets
        )
        lines.append(
            f"{', '.join(names)}: {source.what} on {server} -> {folder}/ ({ready}; newest "
            f"snapshot: {newest.name if newest else 'none yet'})"
        )
    return lines


def pull_project(
    bundle, *, only: list[str] | None = None, progress: Callable[[str], None] | None = None
) -> list[Pulled]:
    """Pull every server form the project's datasets name (or those of ``only``), one pull
    per form and snapshot folder."""
    return [
        pull_source(bundle.root, source, key[2], names, progress=progress)
        for key, (source, names) in _groups(bundle, only).items()
    ]


__all__ = [
    "PullError",
    "Pulled",
    "fetch",
    "paged",
    "parse_page",
    "plan",
    "pull_project",
    "pull_source",
    "request",
]
