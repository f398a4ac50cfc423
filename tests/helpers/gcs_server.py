"""A Google Cloud Storage server for tests: the XML API that obstore's ``GCSStore`` (Rust
``object_store`` 0.14) calls, in memory, on 127.0.0.1 (a free port).

No GCS emulator we can install speaks it: ``gcp-storage-emulator`` has no ``HEAD`` and no
bucket listing on the XML API, and object_store lists with the XML API
(``GET /<bucket>?list-type=2``). What is implemented, as GCS documents it
(https://cloud.google.com/storage/docs/xml-api/overview):

* ``PUT /<bucket>/<object>`` (``x-goog-if-generation-match: 0`` for create-only puts);
* ``GET`` / ``HEAD /<bucket>/<object>`` with ``Range: bytes=a-b`` (206, ``Content-Range``;
  416 past the end), ``ETag``, ``Last-Modified``, ``x-goog-generation``;
* ``GET /<bucket>?list-type=2&prefix=&delimiter=&continuation-token=&max-keys=&start-after=``
  (``ListBucketResult``);
* multipart: ``POST ?uploads``, ``PUT ?partNumber=&uploadId=``, ``POST ?uploadId=`` with a
  ``CompleteMultipartUpload`` body, ``DELETE ?uploadId=``;
* ``DELETE /<bucket>/<object>``.

Every request must carry ``Authorization: Bearer <token>`` (401 otherwise), except reads of
objects in ``public_buckets`` without any ``Authorization`` (as GCS's ``allUsers`` readers);
errors are GCS's XML ``<Error><Code>...</Code></Error>`` bodies. Clients reach it through the
standard variables::

    GOOGLE_BASE_URL=http://127.0.0.1:PORT  GOOGLE_BEARER_TOKEN=<token>  GOOGLE_ALLOW_HTTP=true
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import urllib.parse
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from typing import Any
from xml.sax.saxutils import escape

from tests.helpers.http_server import _QuietThreadingHTTPServer, serve_in_background

__all__ = ["FakeGcs", "GcsObject", "run_fake_gcs"]

_MAX_KEYS = 1000


@dataclass(slots=True)
class GcsObject:
    """A stored object."""

    data: bytes
    generation: int
    updated: float
    content_type: str | None = None

    @property
    def etag(self) -> str:
        return hashlib.md5(self.data, usedforsecurity=False).hexdigest()


@dataclass(slots=True)
class _Request:
    method: str
    path: str
    query: dict[str, str]
    status: int
    signed: bool = True


@dataclass
class FakeGcs:
    """The server's state: buckets of objects, multipart uploads in progress, the token it
    accepts and every request answered."""

    token: str = field(default_factory=lambda: secrets.token_hex(16))
    public_buckets: set[str] = field(default_factory=set)
    """Buckets whose objects anyone may read (GET/HEAD without a token, as GCS's allUsers)."""
    buckets: dict[str, dict[str, GcsObject]] = field(default_factory=dict)
    uploads: dict[str, tuple[str, str, dict[int, bytes]]] = field(default_factory=dict)
    requests: list[_Request] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _generation: int = 0

    def create_bucket(self, name: str) -> None:
        with self._lock:
            self.buckets.setdefault(name, {})

    def environment(self) -> dict[str, str]:
        """The standard ``GOOGLE_*`` variables that point obstore here."""
        return {
            "GOOGLE_BASE_URL": self.url,
            "GOOGLE_BEARER_TOKEN": self.token,
            "GOOGLE_ALLOW_HTTP": "true",
        }

    def get_object(self, bucket: str, name: str) -> bytes:
        """An object's bytes, read directly (independent of the code under test)."""
        return self.buckets[bucket][name].data

    def _store(self, bucket: str, name: str, data: bytes, content_type: str | None) -> GcsObject:
        import time

        with self._lock:
            self._generation += 1
            stored = GcsObject(data, self._generation, time.time(), content_type)
            self.buckets[bucket][name] = stored
            return stored


def _handler(state: FakeGcs) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        # -- plumbing
        def _split(self) -> tuple[str, str | None, dict[str, str]]:
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
            bucket, _, name = parts.path.lstrip("/").partition("/")
            return urllib.parse.unquote(bucket), urllib.parse.unquote(name) or None, query

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(
            self,
            status: int,
            body: bytes = b"",
            headers: dict[str, str] | None = None,
            *,
            send_body: bool = True,
        ) -> None:
            query = self._split()[2]
            signed = self.headers.get("Authorization") is not None
            state.requests.append(_Request(self.command, self.path, query, status, signed))
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body and body:
                self.wfile.write(body)

        def _error(self, status: int, code: str, message: str, *, send_body: bool = True) -> None:
            body = (
                "<?xml version='1.0' encoding='UTF-8'?><Error>"
                f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
            ).encode()
            self._send(status, body, {"Content-Type": "application/xml"}, send_body=send_body)

        def _authorized(self, *, send_body: bool = True) -> bool:
            if self.headers.get("Authorization") == f"Bearer {state.token}":
                return True
            self._body()
            self._error(401, "AuthenticationRequired", "bad or missing token", send_body=send_body)
            return False

        def _bucket(self, bucket: str, *, send_body: bool = True) -> dict[str, GcsObject] | None:
            objects = state.buckets.get(bucket)
            if objects is None:
                self._body()
                self._error(404, "NoSuchBucket", bucket, send_body=send_body)
            return objects

        @staticmethod
        def _object_headers(stored: GcsObject) -> dict[str, str]:
            return {
                "ETag": f'"{stored.etag}"',
                "Last-Modified": formatdate(stored.updated, usegmt=True),
                "x-goog-generation": str(stored.generation),
                "Content-Type": stored.content_type or "application/octet-stream",
                "Accept-Ranges": "bytes",
            }

        # -- verbs
        def do_HEAD(self) -> None:
            self._read(send_body=False)

        def do_GET(self) -> None:
            bucket, name, query = self._split()
            if name is None:
                if self._authorized() and (objects := self._bucket(bucket)) is not None:
                    self._list(objects, query)
                return
            self._read(send_body=True)

        def _read(self, *, send_body: bool) -> None:
            bucket, name, _query = self._split()
            anonymous = bucket in state.public_buckets and "Authorization" not in self.headers
            if not anonymous and not self._authorized(send_body=send_body):
                return
            objects = self._bucket(bucket, send_body=send_body)
            if objects is None:
                return
            stored = objects.get(name or "")
            if stored is None:
                self._error(404, "NoSuchKey", f"{bucket}/{name}", send_body=send_body)
                return
            headers = self._object_headers(stored)
            size = len(stored.data)
            wanted = self.headers.get("Range")
            if not wanted:
                self._send(200, stored.data, headers, send_body=send_body)
                return
            first_text, _, last_text = wanted.removeprefix("bytes=").partition("-")
            if first_text == "":
                first, last = max(0, size - int(last_text)), size - 1
            else:
                first = int(first_text)
                last = min(int(last_text), size - 1) if last_text else size - 1
            if first >= size or first > last:
                self._error(416, "InvalidRange", wanted, send_body=send_body)
                return
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
            self._send(206, stored.data[first : last + 1], headers, send_body=send_body)

        def _list(self, objects: dict[str, GcsObject], query: dict[str, str]) -> None:
            prefix = query.get("prefix", "")
            delimiter = query.get("delimiter")
            after = query.get("continuation-token") or query.get("start-after") or ""
            limit = min(int(query.get("max-keys") or _MAX_KEYS), _MAX_KEYS)
            contents: list[str] = []
            prefixes: list[str] = []
            truncated_after: str | None = None
            last_name = after
            with state._lock:
                names = sorted(n for n in objects if n.startswith(prefix) and n > after)
                snapshot = {n: objects[n] for n in names}
            for name in names:
                if len(contents) + len(prefixes) >= limit:
                    truncated_after = last_name
                    break
                last_name = name
                rest = name[len(prefix) :]
                if delimiter and delimiter in rest:
                    common = prefix + rest.split(delimiter, 1)[0] + delimiter
                    if common not in prefixes:
                        prefixes.append(common)
                    continue
                stored = snapshot[name]
                iso = datetime.fromtimestamp(stored.updated, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                contents.append(
                    f"<Contents><Key>{escape(name)}</Key><Size>{len(stored.data)}</Size>"
                    f'<LastModified>{iso}</LastModified><ETag>"{stored.etag}"</ETag></Contents>'
                )
            body = "<?xml version='1.0' encoding='UTF-8'?><ListBucketResult>"
            body += f"<Prefix>{escape(prefix)}</Prefix><KeyCount>{len(contents)}</KeyCount>"
            body += f"<IsTruncated>{'true' if truncated_after else 'false'}</IsTruncated>"
            if truncated_after:
                body += f"<NextContinuationToken>{escape(truncated_after)}</NextContinuationToken>"
            body += "".join(contents)
            body += "".join(
                f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>" for p in prefixes
            )
            body += "</ListBucketResult>"
            self._send(200, body.encode(), {"Content-Type": "application/xml"})

        def do_PUT(self) -> None:
            bucket, name, query = self._split()
            if not self._authorized() or (objects := self._bucket(bucket)) is None:
                return
            data = self._body()
            if name is None:
                self._error(400, "InvalidArgument", "no object name")
                return
            if "uploadId" in query:
                upload = state.uploads.get(query["uploadId"])
                if upload is None or upload[:2] != (bucket, name):
                    self._error(404, "NoSuchUpload", query["uploadId"])
                    return
                upload[2][int(query["partNumber"])] = data
                etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
                self._send(200, b"", {"ETag": f'"{etag}"'})
                return
            if self.headers.get("x-goog-if-generation-match") == "0" and name in objects:
                self._error(412, "PreconditionFailed", f"{bucket}/{name} exists")
                return
            stored = state._store(bucket, name, data, self.headers.get("Content-Type"))
            self._send(
                200, b"", {"ETag": f'"{stored.etag}"', "x-goog-generation": str(stored.generation)}
            )

        def do_POST(self) -> None:
            bucket, name, query = self._split()
            if not self._authorized() or self._bucket(bucket) is None:
                return
            body = self._body()
            if name is None:
                self._error(400, "InvalidArgument", "no object name")
                return
            if "uploads" in query:
                upload_id = secrets.token_hex(12)
                state.uploads[upload_id] = (bucket, name, {})
                answer = (
                    "<?xml version='1.0' encoding='UTF-8'?><InitiateMultipartUploadResult>"
                    f"<Bucket>{escape(bucket)}</Bucket><Key>{escape(name)}</Key>"
                    f"<UploadId>{upload_id}</UploadId></InitiateMultipartUploadResult>"
                )
                self._send(200, answer.encode(), {"Content-Type": "application/xml"})
                return
            if "uploadId" in query:
                upload = state.uploads.get(query["uploadId"])
                if upload is None or upload[:2] != (bucket, name):
                    self._error(404, "NoSuchUpload", query["uploadId"])
                    return
                try:
                    root = ElementTree.fromstring(body)
                    listed = [
                        (int(p.findtext("PartNumber") or ""), (p.findtext("ETag") or "").strip('"'))
                        for p in root.iter("Part")
                    ]
                except (ElementTree.ParseError, ValueError):
                    self._error(400, "MalformedXML", "CompleteMultipartUpload")
                    return
                parts = upload[2]
                for number, etag in listed:
                    data = parts.get(number)
                    if data is None or hashlib.md5(data, usedforsecurity=False).hexdigest() != etag:
                        self._error(400, "InvalidPart", str(number))
                        return
                del state.uploads[query["uploadId"]]
                stored = state._store(bucket, name, b"".join(parts[n] for n, _ in listed), None)
                answer = (
                    "<?xml version='1.0' encoding='UTF-8'?><CompleteMultipartUploadResult>"
                    f"<Bucket>{escape(bucket)}</Bucket><Key>{escape(name)}</Key>"
                    f'<ETag>"{stored.etag}"</ETag></CompleteMultipartUploadResult>'
                )
                self._send(
                    200,
                    answer.encode(),
                    {
                        "Content-Type": "application/xml",
                        "x-goog-generation": str(stored.generation),
                    },
                )
                return
            self._error(400, "InvalidArgument", "unsupported POST")

        def do_DELETE(self) -> None:
            bucket, name, query = self._split()
            if not self._authorized() or (objects := self._bucket(bucket)) is None:
                return
            self._body()
            if "uploadId" in query:
                state.uploads.pop(query["uploadId"], None)
                self._send(204)
                return
            with state._lock:
                found = objects.pop(name or "", None)
            if found is None:
                self._error(404, "NoSuchKey", f"{bucket}/{name}")
                return
            self._send(204)

    return Handler


@contextmanager
def run_fake_gcs() -> Iterator[FakeGcs]:
    """Serve a :class:`FakeGcs` on 127.0.0.1 for the duration of the block."""
    state = FakeGcs()
    server = _QuietThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url, thread = serve_in_background(server)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
