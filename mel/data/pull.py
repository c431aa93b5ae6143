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
from mel.definitions.models import KoboSource
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


def _fail(source: KoboSource, message: str, hint: str | None = None, token: str = "") -> PullError:
    if token:
        message = message.replace(token, "***")
    return PullError(
        Finding(
            "pull-failed", message, file=source.kobo, hint=hint, scope="dataset", severity="error"
        )
    )


def _token(source: KoboSource, datasets: list[str]) -> str:
    token = os.environ.get(source.token_env, "").strip()
    if not token:
        raise UsageError(
            Finding(
                "pull-failed",
                f"the environment variable {source.token_env} (the API token of "
                f"{', '.join(datasets)}) is not set",
                scope="dataset",
                hint=f"set it first, e.g. export {source.token_env}=... (your token is on the "
                "server's Account settings > Security page)",
            )
        )
    return token


def _page_url(source: KoboSource, start: int) -> str:
    base = source.kobo.rstrip("/")
    asset = urllib.parse.quote(source.asset, safe="")
    query = urllib.parse.urlencode(
        {"format": "json", "start": start, "limit": min(source.page_size, MAX_PAGE)}
    )
    return f"{base}/api/v2/assets/{asset}/data/?{query}"


def _get(source: KoboSource, url: str, token: str, page: int) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - http(s) only: mel.yaml's model checks it
        url, headers={"Authorization": f"Token {token}", "Accept": "application/json"}
    )
    where = f"page {page} of form '{source.asset}'"
    try:
        with urllib.request.urlopen(request, timeout=source.timeout) as response:  # noqa: S310
            return response.read()
    except urllib.error.HTTPError as exc:
        raise _http_error(source, exc.code, where, token, page) from None
    except TimeoutError:
        raise _fail(
            source,
            f"{source.kobo} did not answer within {source.timeout:g} s ({where})",
            "try again later, or raise 'timeout' under the dataset's source in mel.yaml",
        ) from None
    except (http.client.IncompleteRead, ConnectionError, http.client.HTTPException) as exc:
        raise _fail(
            source,
            f"the download of {where} was interrupted ({type(exc).__name__})",
            "try again; the previous snapshot is unchanged",
            token,
        ) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            raise _fail(
                source, f"{source.kobo} did not answer within {source.timeout:g} s ({where})"
            ) from None
        raise _fail(
            source,
            f"cannot reach {source.kobo}: {exc.reason}",
            "check the server's address in mel.yaml and the network",
            token,
        ) from None


def _http_error(source: KoboSource, code: int, where: str, token: str, page: int) -> PullError:
    if code in (401, 403):
        return _fail(
            source,
            f"{source.kobo} refused the token in {source.token_env} (HTTP {code}, {where})",
            "check that the token is current and its account may view the form's submissions",
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
            f"{source.kobo} has no form '{source.asset}' (HTTP 404, {where})",
            "check 'asset' in mel.yaml: the form's uid is in its address on the server",
        )
    return _fail(source, f"{source.kobo} answered HTTP {code} ({where})", "try again later", token)


def _page(source: KoboSource, raw: bytes, page: int, token: str) -> tuple[int, list]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(
            source,
            f"page {page} of form '{source.asset}' is not JSON ({getattr(exc, 'msg', exc)})",
            "the server may be failing; try again later",
            token,
        ) from None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("results"), list)
        or not isinstance(data.get("count"), int)
    ):
        raise _fail(
            source,
            f"page {page} of form '{source.asset}' is not a KoboToolbox data page (no 'count' "
            "and 'results')",
            "check that 'kobo' in mel.yaml is the server's address (e.g. "
            "https://kf.kobotoolbox.org)",
        )
    return data["count"], data["results"]


def fetch(source: KoboSource, token: str, progress: Callable[[str], None] | None = None) -> list:
    """Every record of the form, page by page; raises PullError when any page fails."""
    records: list = []
    count: int | None = None
    page = 1
    while count is None or len(records) < count:
        raw = _get(source, _page_url(source, len(records)), token, page)
        n, results = _page(source, raw, page, token)
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
                f"{page} of form '{source.asset}' was empty)",
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


def _digest(records: list) -> str:
    return hashlib.sha256(json.dumps(records, sort_keys=True).encode()).hexdigest()


def pull_source(
    root: Path,
    source: KoboSource,
    folder: str,
    datasets: list[str],
    *,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> Pulled:
    """Fetch one server form into a new snapshot under ``root/folder``; nothing is written
    when the pull fails or the data has not changed since the newest snapshot."""
    token = _token(source, datasets)
    records = fetch(source, token, progress)
    kept, _ = latest_versions(records, source.kobo)
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
        "server": source.kobo,
        "asset": source.asset,
        "pulled": now.isoformat(timespec="seconds"),
        "count": len(kept),
        "sha256": digest,
        "results": kept,
    }
    _write_atomic(target / name, json.dumps(body, ensure_ascii=False, indent=0).encode("utf-8"))
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


def pull_project(
    bundle, *, only: list[str] | None = None, progress: Callable[[str], None] | None = None
) -> list[Pulled]:
    """Pull every server form the project's datasets name (or those of ``only``), one pull
    per form and snapshot folder."""
    groups: dict[tuple, list[str]] = {}
    sources: dict[tuple, KoboSource] = {}
    for name, ref in bundle.project.datasets.items():
        if ref.source is None or (only and name not in only):
            continue
        key = (ref.source.kobo, ref.source.asset, ref.path)
        groups.setdefault(key, []).append(name)
        sources[key] = ref.source
    if not groups:
        raise UsageError(
            "no dataset of this project names a server to pull from"
            + (f" among {', '.join(only)}" if only else "")
            + ": give a dataset a 'source:' (kobo, asset, token_env) in mel.yaml"
        )
    return [
        pull_source(bundle.root, sources[key], key[2], names, progress=progress)
        for key, names in groups.items()
    ]


__all__ = ["PullError", "Pulled", "fetch", "pull_project", "pull_source"]
