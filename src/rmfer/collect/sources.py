"""The source list: one URL a row, checked before anything touches the network."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from rmfer.errors import InputError, MissingInputError

# yt-dlp's search prefixes: ytsearch:q, ytsearch10:q, ytsearchall:q, ytsearchdate5:q, scsearch:q ...
SEARCH_RE = re.compile(r"^(?P<key>[a-z]+search)(?P<date>date)?(?P<n>\d+|all)?:(?P<query>.*\S.*)$")
WEB_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class SourceRow:
    """A usable row. `row` counts data rows from 1, the header not included."""

    row: int
    url: str
    note: str | None


@dataclass(frozen=True)
class SourceProblem:
    """A row that is not fetched, with its status (rejected or skipped) and the reason."""

    row: int
    url: str | None
    note: str | None
    status: str
    reason: str


def read_sources_csv(path: str | Path) -> pd.DataFrame:
    """Read a source list outside Kedro (the catalog's pandas.CSVDataset does it inside)."""
    path = Path(path)
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except FileNotFoundError as exc:
        raise MissingInputError(
            f"{path}: no source list here; write a CSV with a `url` column (docs/stages/collect.md)"
        ) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV ({exc}); it needs a `url` column") from exc


def url_column(frame: pd.DataFrame, origin: str) -> str:
    """The `url` column's name (case and spaces ignored), or an error that says what to fix."""
    names = {str(c).strip().lower(): c for c in frame.columns}
    if "url" in names:
        return names["url"]
    found = [str(c) for c in frame.columns]
    hint = "Add a header line `url,note` at the top."
    if any("://" in c or SEARCH_RE.match(c.strip()) for c in found):
        hint = (
            "Its first line looks like a URL, not a header: add a header line `url,note` above it."
        )
    raise InputError(f"{origin}: no `url` column (columns found: {found}). {hint}")


def check_url(url: str, allow_local_files: bool) -> str | None:
    """Why this URL may not be fetched, or None when it may."""
    if SEARCH_RE.match(url):
        return None
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in WEB_SCHEMES:
        return None if parts.netloc else f"no host in {url!r}"
    if scheme == "file":
        if allow_local_files:
            return None
        return (
            "file:// URLs are off in this environment (collect.allow_local_files is false); "
            "use http(s) URLs or a ytsearchN: query"
        )
    if not scheme or "://" not in url:
        return "not a URL or search: write http(s)://..., ytsearchN:<query>" + (
            ", or file://..." if allow_local_files else ""
        )
    return f"unsupported scheme {scheme!r}: use http(s)://..., ytsearchN:<query>" + (
        ", or file://..." if allow_local_files else ""
    )


def parse_sources(
    frame: pd.DataFrame, allow_local_files: bool, origin: str
) -> tuple[list[SourceRow], list[SourceProblem]]:
    """Split the rows into those to fetch and those recorded as rejected or skipped.

    Blank rows, `#` comment rows and repeated URLs are skipped; bad schemes are rejected.
    """
    column = url_column(frame, origin)
    notes = {str(c).strip().lower(): c for c in frame.columns}.get("note")
    rows: list[SourceRow] = []
    problems: list[SourceProblem] = []
    first_row: dict[str, int] = {}
    for i, (_, record) in enumerate(frame.iterrows(), start=1):
        url = _text(record[column])
        note = _text(record[notes]) if notes is not None else None
        if url is None:
            problems.append(SourceProblem(i, None, note, "skipped", "blank url"))
            continue
        if url.startswith("#"):
            problems.append(SourceProblem(i, url, note, "skipped", "comment"))
            continue
        if url in first_row:
            reason = f"duplicate of row {first_row[url]}"
            problems.append(SourceProblem(i, url, note, "skipped", reason))
            continue
        first_row[url] = i
        why = check_url(url, allow_local_files)
        if why is not None:
            problems.append(SourceProblem(i, url, note, "rejected", why))
            continue
        rows.append(SourceRow(i, url, note))
    return rows, problems


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None
