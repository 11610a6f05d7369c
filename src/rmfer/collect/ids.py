"""Video ids that are safe file names: a site's id or a page's title never picks the path."""

from __future__ import annotations

import hashlib
import re

MAX_ID_LENGTH = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
# Extractors whose ids are only a file or page name, unique per URL rather than per site.
GENERIC_EXTRACTORS = frozenset({"generic", "html5mediaembed"})


def short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def safe_id(raw: str, max_length: int = MAX_ID_LENGTH) -> str:
    """Keep [A-Za-z0-9_-] and at most `max_length` characters; when anything changed, end with a
    short hash of the original so that distinct ids stay distinct (YouTube's ids pass unchanged)."""
    raw = str(raw)
    clean = _UNSAFE.sub("_", raw).strip("_")
    if clean == raw and 0 < len(clean) <= max_length:
        return clean
    tag = short_hash(raw)
    return f"{clean[: max_length - len(tag) - 1] or 'video'}-{tag}"


def video_key(extractor: str | None, raw_id: str, url: str | None) -> str:
    """What makes two entries the same video: the site's id, or the URL for generic extractors
    (two servers may both serve a `video.mp4`)."""
    extractor = (extractor or "generic").lower()
    if extractor in GENERIC_EXTRACTORS and url:
        return f"{extractor}:{url}#{raw_id}"
    return f"{extractor}:{raw_id}"


def unique_id(raw_id: str, key: str, taken: dict[str, str]) -> str:
    """`safe_id(raw_id)`, made distinct with a hash of the key if another video already has it."""
    base = safe_id(raw_id)
    if taken.get(base, key) == key:
        return base
    tag = short_hash(key)
    return f"{base[: MAX_ID_LENGTH - len(tag) - 1]}-{tag}"
