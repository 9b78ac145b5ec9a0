"""A ``requests`` transport adapter that hands requests to a WSGI app in this process: the scripted
citizen reaches an insurer's Flask (or any WSGI) app at a made-up origin such as
``http://insurer.test`` without serving it on a port."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from werkzeug.test import Client


class WsgiAdapter(BaseAdapter):
    """Mount it on a session for an origin: ``session.mount("http://insurer.test", WsgiAdapter(app))``.
    Cookies the app sets stay in the adapter's own jar (one adapter per browser)."""

    def __init__(self, app):
        super().__init__()
        self.client = Client(app)

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        parts = urlsplit(request.url)
        body = request.body.encode() if isinstance(request.body, str) else request.body
        answer = self.client.open(
            parts.path or "/",
            base_url=f"{parts.scheme}://{parts.netloc}",
            query_string=parts.query,
            method=request.method,
            headers=list(request.headers.items()),
            data=body or b"",
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response.reason = answer.status.partition(" ")[2]
        response.headers = CaseInsensitiveDict(answer.headers.items())
        response._content = answer.get_data()
        response.encoding = answer.mimetype_params.get("charset") or "utf-8"
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass
