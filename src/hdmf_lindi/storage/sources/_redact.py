"""Keeping presigned URLs' signatures out of error messages (they end up in logs, in
``convert-many``'s manifest, in bug reports): a presigned URL is a credential until it expires.
"""

from __future__ import annotations

import re
import urllib.parse

__all__ = ["redacted_text", "redacted_url"]

_URL_WITH_QUERY = re.compile(r"(?P<base>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s?#'\"<>]*)\?[^\s#'\"<>]*")
_SIGNATURE_PARAMETER = re.compile(
    r"(?P<name>X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|sig|"
    r"X-Goog-Signature|X-Goog-Credential)=[^&\s'\"<>]*",
    re.IGNORECASE,
)
REDACTED = "<redacted>"


def redacted_url(url: str) -> str:
    """``url`` without its query string and fragment (and without any user or password)."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def redacted_text(text: str, *secrets: str) -> str:
    """``text`` with the query string of every URL in it, any signature parameter (also
    outside a recognisable URL, e.g. percent-decoded in a library's message) and each of
    ``secrets`` replaced by ``<redacted>``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _URL_WITH_QUERY.sub(lambda m: f"{m['base']}?{REDACTED}", text)
    return _SIGNATURE_PARAMETER.sub(lambda m: f"{m['name']}={REDACTED}", text)
