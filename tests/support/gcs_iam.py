"""A local stand-in for Google's OAuth token endpoint and the IAM Credentials API's signBlob,
in their published shapes, so keyless GCS signing runs here end to end:

- ``POST /token``: the service-account JWT grant (``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``)
  answers ``{"access_token", "expires_in", "token_type"}``; the token names the JWT's issuer;
- ``POST /v1/projects/-/serviceAccounts/EMAIL:signBlob`` with ``Authorization: Bearer TOKEN``
  answers ``{"keyId", "signedBlob"}``: the payload signed (RSA PKCS#1 v1.5, SHA-256) with EMAIL's
  key, so URLs signed this way verify against EMAIL's public key. Who may sign as whom is
  ``grants`` (caller email -> emails it may sign as), as roles/iam.serviceAccountTokenCreator.

``hold = True`` makes it stop answering (a service that hangs).
"""

from __future__ import annotations

import base64
import http.server
import json
import re
import threading
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from msc_notebook.demo.http_stub import HTTPStub

_SIGN_BLOB = re.compile(r"^/v1/projects/-/serviceAccounts/([^/:]+):signBlob$")


class FakeIAM(HTTPStub):
    def __init__(self, keys: dict[str, rsa.RSAPrivateKey], grants: dict[str, set[str]]) -> None:
        self.keys, self.grants = keys, grants
        self.hold = False
        self.calls: list[str] = []
        self._stopping = threading.Event()
        super().__init__()

    def stop(self) -> None:
        self._stopping.set()  # held answers end now
        super().stop()

    def answer(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length", "0")))
        self.calls.append(handler.path)
        if self.hold:
            self._stopping.wait(60)
            return
        if handler.path == "/token":
            return _json(handler, 200, self._token(body))
        match = _SIGN_BLOB.match(handler.path)
        caller = handler.headers.get("Authorization", "").removeprefix("Bearer token-for-")
        if match is None:
            return _json(handler, 404, {"error": {"code": 404, "message": "not found"}})
        email = match.group(1).replace("%40", "@")
        if email not in self.grants.get(caller, set()) or email not in self.keys:
            return _json(handler, 403, {"error": {"code": 403, "message": f"{caller} may not sign as {email}",
                                                  "status": "PERMISSION_DENIED"}})  # fmt: skip
        payload = base64.b64decode(json.loads(body)["payload"])
        signature = self.keys[email].sign(payload, padding.PKCS1v15(), hashes.SHA256())
        _json(handler, 200, {"keyId": "test-key", "signedBlob": base64.b64encode(signature).decode()})

    def _token(self, body: bytes) -> dict[str, object]:
        form = parse_qs(body.decode())
        assertion = form["assertion"][0]
        claims = json.loads(base64.urlsafe_b64decode(assertion.split(".")[1] + "=="))
        return {"access_token": f"token-for-{claims['iss']}", "expires_in": 3600, "token_type": "Bearer"}


def _json(handler: http.server.BaseHTTPRequestHandler, status: int, value: object) -> None:
    body = json.dumps(value).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
