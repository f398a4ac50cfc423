"""A DANDI REST API for tests, on 127.0.0.1, backed by moto for the bytes.

It implements the endpoints hdmf_lindi uses, as DANDI does:

* ``GET  /api/dandisets/{d}/versions/{v}/assets/?path=P`` (prefix match, paginated shape);
* ``GET|HEAD /api/assets/{id}/download/``: 302 to a presigned S3 GET URL (on the recording S3
  front, which answers 403 once the URL expired; ``url_lifetime`` seconds);
* ``POST /api/uploads/initialize/`` (409 + ``Location: <blob id>`` for a known dandi-etag,
  else an S3 multipart upload with presigned part URLs), ``POST /api/uploads/{id}/complete/``
  (the presigned completion URL and its XML body), ``POST /api/uploads/{id}/validate/``
  (checks the object's ETag against the declared dandi-etag, mints the blob);
* ``POST /api/dandisets/{d}/versions/draft/assets/`` (409 when the path exists) and
  ``PUT .../assets/{id}/`` (new blob: a new asset id, as DANDI does).

Uploads and embargoed dandisets need ``Authorization: token <token>``; every request is
recorded with the authorization it carried.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["DandiRequest", "DandiServer", "serve_dandi"]

PART_SIZE = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class DandiRequest:
    method: str
    path: str
    authorization: str | None
    status: int


@dataclass
class DandiServer:
    """State of the test DANDI API (see the module docstring)."""

    bucket: str
    direct: Any  # boto3 client to moto itself
    signer: Any  # boto3 client whose endpoint is the recording S3 front (presigning only)
    token: str = "test-dandi-token"
    url_lifetime: int = 3600
    url: str = ""
    embargoed: set[str] = field(default_factory=set)
    assets: dict[str, dict[str, Any]] = field(default_factory=dict)
    blobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[DandiRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api_url(self) -> str:
        return self.url + "/api"

    def requests_to(self, method: str, part: str = "") -> list[DandiRequest]:
        with self.lock:
            return [r for r in self.requests if r.method == method and part in r.path]

    def asset_at(self, dandiset: str, path: str) -> dict[str, Any] | None:
        with self.lock:
            for asset in self.assets.values():
                if asset["dandiset"] == dandiset and asset["path"] == path:
                    return asset
        return None

    def blob_bytes(self, blob_id: str) -> bytes:
        key = self.blobs[blob_id]["key"]
        body: bytes = self.direct.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body

    def add_asset(self, dandiset: str, path: str, data: bytes) -> str:
        """Put ``data`` straight into a new blob and asset (fixtures); returns the asset id."""
        blob_id = str(uuid.uuid4())
        key = f"blobs/{blob_id}"
        self.direct.put_object(Bucket=self.bucket, Key=key, Body=data)
        asset_id = str(uuid.uuid4())
        with self.lock:
            self.blobs[blob_id] = {"key": key, "etag": None, "size": len(data)}
            self.assets[asset_id] = {"dandiset": dandiset, "path": path, "blob": blob_id}
        return asset_id


def _part_sizes(size: int) -> list[int]:
    part = max(PART_SIZE, math.ceil(size / 10_000))
    count = max(1, math.ceil(size / part))
    return [min(part, size - i * part) for i in range(count)]


def _handler(server: DandiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        # -- plumbing ------------------------------------------------------------------
        def _authorized(self) -> bool:
            return self.headers.get("Authorization") == f"token {server.token}"

        def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
            data = b"" if body is None else json.dumps(body).encode()
            with server.lock:
                server.requests.append(
                    DandiRequest(
                        self.command,
                        urllib.parse.urlsplit(self.path).path,
                        self.headers.get("Authorization"),
                        status,
                    )
                )
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            return json.loads(raw) if raw else {}

        def _route(self) -> tuple[list[str], dict[str, list[str]]]:
            parts = urllib.parse.urlsplit(self.path)
            segments = [s for s in parts.path.split("/") if s]
            return segments, urllib.parse.parse_qs(parts.query)

        # -- GET / HEAD ----------------------------------------------------------------
        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            segments, query = self._route()
            if segments[:2] == ["api", "assets"] and segments[3:] == ["download"]:
                self._download(segments[2])
            elif (
                segments[:2] == ["api", "dandisets"]
                and segments[3:4] == ["versions"]
                and segments[5:] == ["assets"]
            ):
                self._list_assets(segments[2], query.get("path", [""])[0])
            else:
                self._send(404, {"detail": "Not found."})

        def _download(self, asset_id: str) -> None:
            with server.lock:
                asset = server.assets.get(asset_id)
            if asset is None:
                self._send(404, {"detail": "Not found."})
                return
            if asset["dandiset"] in server.embargoed and not self._authorized():
                self._send(401, {"detail": "Authentication credentials were not provided."})
                return
            key = server.blobs[asset["blob"]]["key"]
            signed = server.signer.generate_presigned_url(
                "get_object",
                Params={"Bucket": server.bucket, "Key": key},
                ExpiresIn=server.url_lifetime,
            )
            self._send(302, None, {"Location": signed})

        def _list_assets(self, dandiset: str, prefix: str) -> None:
            if dandiset in server.embargoed and not self._authorized():
                self._send(401, {"detail": "Authentication credentials were not provided."})
                return
            with server.lock:
                results = [
                    {
                        "asset_id": asset_id,
                        "path": a["path"],
                        "blob": a["blob"],
                        "size": server.blobs[a["blob"]]["size"],
                    }
                    for asset_id, a in server.assets.items()
                    if a["dandiset"] == dandiset and a["path"].startswith(prefix)
                ]
            results.sort(key=lambda r: r["path"])
            self._send(200, {"count": len(results), "next": None, "results": results})

        # -- POST / PUT ----------------------------------------------------------------
        def do_POST(self) -> None:
            segments, _query = self._route()
            if not self._authorized():
                self._body()
                self._send(401, {"detail": "Authentication credentials were not provided."})
                return
            if segments == ["api", "uploads", "initialize"]:
                self._initialize(self._body())
            elif segments[:2] == ["api", "uploads"] and segments[3:] == ["complete"]:
                self._complete(segments[2], self._body())
            elif segments[:2] == ["api", "uploads"] and segments[3:] == ["validate"]:
                self._body()
                self._validate(segments[2])
            elif segments[:2] == ["api", "dandisets"] and segments[3:] == [
                "versions",
                "draft",
                "assets",
            ]:
                self._create_asset(segments[2], self._body())
            else:
                self._send(404, {"detail": "Not found."})

        def do_PUT(self) -> None:
            segments, _query = self._route()
            body = self._body()
            if not self._authorized():
                self._send(401, {"detail": "Authentication credentials were not provided."})
                return
            if (
                segments[:2] == ["api", "dandisets"]
                and segments[3:6] == ["versions", "draft", "assets"]
                and len(segments) == 7
            ):
                with server.lock:
                    old = server.assets.pop(segments[6], None)
                if old is None:
                    self._send(404, {"detail": "Not found."})
                    return
                self._create_asset(segments[2], body)
            else:
                self._send(404, {"detail": "Not found."})

        def _initialize(self, body: dict[str, Any]) -> None:
            etag = body["digest"]["value"]
            size = int(body["contentSize"])
            with server.lock:
                known = [b for b, info in server.blobs.items() if info["etag"] == etag]
            if known:
                self._send(409, {"detail": "Blob already exists."}, {"Location": known[0]})
                return
            key = f"blobs/{uuid.uuid4()}"
            multipart = server.direct.create_multipart_upload(Bucket=server.bucket, Key=key)
            upload_id = str(uuid.uuid4())
            parts = []
            for number, part_size in enumerate(_part_sizes(size), start=1):
                url = server.signer.generate_presigned_url(
                    "upload_part",
                    Params={
                        "Bucket": server.bucket,
                        "Key": key,
                        "UploadId": multipart["UploadId"],
                        "PartNumber": number,
                    },
                    ExpiresIn=server.url_lifetime,
                )
                parts.append({"part_number": number, "size": part_size, "upload_url": url})
            with server.lock:
                server.uploads[upload_id] = {
                    "key": key,
                    "s3_upload": multipart["UploadId"],
                    "etag": etag,
                    "size": size,
                }
            self._send(200, {"upload_id": upload_id, "parts": parts})

        def _complete(self, upload_id: str, body: dict[str, Any]) -> None:
            upload = server.uploads.get(upload_id)
            if upload is None:
                self._send(404, {"detail": "Not found."})
                return
            xml = "".join(
                f'<Part><PartNumber>{p["part_number"]}</PartNumber><ETag>"{p["etag"]}"</ETag>'
                "</Part>"
                for p in body["parts"]
            )
            url = server.signer.generate_presigned_url(
                "complete_multipart_upload",
                Params={
                    "Bucket": server.bucket,
                    "Key": upload["key"],
                    "UploadId": upload["s3_upload"],
                },
                ExpiresIn=server.url_lifetime,
            )
            self._send(
                200,
                {
                    "complete_url": url,
                    "body": f"<CompleteMultipartUpload>{xml}</CompleteMultipartUpload>",
                },
            )

        def _validate(self, upload_id: str) -> None:
            upload = server.uploads.get(upload_id)
            if upload is None:
                self._send(404, {"detail": "Not found."})
                return
            head = server.direct.head_object(Bucket=server.bucket, Key=upload["key"])
            etag = head["ETag"].strip('"')
            if etag != upload["etag"] or int(head["ContentLength"]) != upload["size"]:
                self._send(400, {"detail": f"ETag {etag} does not match {upload['etag']}"})
                return
            blob_id = str(uuid.uuid4())
            with server.lock:
                server.blobs[blob_id] = {
                    "key": upload["key"],
                    "etag": etag,
                    "size": upload["size"],
                }
            sha256 = hashlib.sha256(b"").hexdigest()  # not computed by this test server
            self._send(
                200,
                {"blob_id": blob_id, "etag": etag, "sha256": sha256, "size": upload["size"]},
            )

        def _create_asset(self, dandiset: str, body: dict[str, Any]) -> None:
            path = body["metadata"]["path"]
            blob_id = body["blob_id"]
            if blob_id not in server.blobs:
                self._send(400, {"detail": "Unknown blob."})
                return
            if server.asset_at(dandiset, path) is not None:
                self._send(409, {"detail": "Asset already exists."})
                return
            asset_id = str(uuid.uuid4())
            with server.lock:
                server.assets[asset_id] = {"dandiset": dandiset, "path": path, "blob": blob_id}
            self._send(200, {"asset_id": asset_id, "path": path, "blob": blob_id})

    return Handler


@contextmanager
def serve_dandi(moto_endpoint: str, front_endpoint: str) -> Iterator[DandiServer]:
    """Run the test DANDI API; bytes live in a fresh bucket of the moto server at
    ``moto_endpoint`` and presigned URLs point at ``front_endpoint`` (the same backend)."""
    import boto3
    from botocore.config import Config

    from tests.helpers.s3_server import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY

    def client(endpoint: str) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    bucket = f"dandi-{uuid.uuid4().hex[:12]}"
    direct = client(moto_endpoint)
    direct.create_bucket(Bucket=bucket)
    state = DandiServer(bucket=bucket, direct=direct, signer=client(front_endpoint))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    host, port = httpd.server_address[:2]
    state.url = f"http://{host}:{port}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)
