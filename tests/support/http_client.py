"""Plain HTTP for the tests: what a recipient without credentials would send."""

from __future__ import annotations

import requests


def fetch(url: str, method: str = "GET", *, verify: bool | str = True, **kwargs) -> requests.Response:
    """Send ``url`` exactly as signed: requests would re-quote some characters otherwise."""
    session = requests.Session()
    request = requests.Request(method, "http://placeholder/", **kwargs).prepare()
    request.url = url  # bypass requests' URL normalisation: the signature covers the exact path
    return session.send(request, timeout=30, verify=verify)
