"""JSON POSTs over keep-alive HTTP/1.1 on asyncio streams: the lean client for busy batching servers.

Why not the `openai` SDK (httpx): on this project's 2-core machine it spends about 2-6 ms of CPU per
request, so a run with 256 requests in flight at 200 ms each (1,280 requests/s) would need several
cores just to talk to the server. This client spends about 0.05 ms, which is what lets one process
keep a vLLM/TGI server saturated (benchmarks/saturation.py). It speaks exactly what the
OpenAI-compatible chat endpoint needs: POST with a JSON body, responses with a Content-Length or
chunked body, connections kept alive and reused, `https://` through the standard `ssl` module.
It does not do proxies or compression: use the `client: sdk` option for endpoints that need them.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from urllib.parse import urlsplit

from ...jsontypes import JsonObject
from ...errors import NetworkError


DEFAULT_MAX_RESPONSE_BYTES = 64 << 20  # one chat completion is kilobytes; a 64 MiB answer is a broken endpoint


class APIConnectionError(NetworkError, ConnectionError):
    """The endpoint could not be reached, or dropped the connection before answering."""


class APIStatusError(NetworkError):
    """The endpoint answered with an HTTP error status."""

    def __init__(self, status_code: int, body: bytes, headers: dict[str, str]) -> None:
        self.status_code, self.body, self.headers = status_code, body, headers
        super().__init__(f"HTTP {status_code}: {body[:300].decode('utf-8', 'replace')}")


class APIResponseTooLargeError(NetworkError, ValueError):
    """The endpoint sent more than the client accepts for one answer (`max_response_bytes`)."""


class APITimeoutError(NetworkError, TimeoutError):
    """No complete answer within the timeout."""


class JSONClient:
    """One base URL, a pool of idle keep-alive connections; safe for many tasks of one event loop."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None, timeout: float = 120.0,
                 max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES) -> None:
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https"):
            raise ValueError(f"base_url must be http:// or https://, got {base_url!r}")
        self.host = url.hostname or "127.0.0.1"
        self.port = url.port or (443 if url.scheme == "https" else 80)
        self.ssl = ssl.create_default_context() if url.scheme == "https" else None
        self.prefix = url.path.rstrip("/")
        self.timeout = timeout
        self.max_response_bytes = int(max_response_bytes)
        fixed = {"host": f"{self.host}:{self.port}", "content-type": "application/json",
                 "accept": "application/json", "connection": "keep-alive", **(headers or {})}
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items())
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def post(self, path: str, payload: JsonObject) -> JsonObject:
        body = json.dumps(payload).encode()
        request = (f"POST {self.prefix}{path} HTTP/1.1\r\n{self._fixed}content-length: {len(body)}\r\n\r\n"
                   .encode() + body)
        try:
            return await asyncio.wait_for(self._send(request), self.timeout)
        except asyncio.TimeoutError as exc:
            raise APITimeoutError(f"no answer from {self.host}:{self.port} within {self.timeout}s") from exc

    async def _send(self, request: bytes) -> JsonObject:
        while True:
            reused = bool(self._idle)
            conn = self._idle.pop() if reused else await self._connect()
            try:
                status, headers, data = await self._exchange(conn, request, self.max_response_bytes)
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                conn[1].close()
                if reused:  # a kept-alive connection the server had closed: try a fresh one
                    continue
                raise APIConnectionError(f"{self.host}:{self.port} dropped the connection ({exc!r})") from exc
            except BaseException:
                conn[1].close()  # cancelled or timed out mid-answer: the stream is in an unknown state
                raise
            if headers.get("connection", "").lower() == "close":
                conn[1].close()
            else:
                self._idle.append(conn)
            if status >= 400:
                raise APIStatusError(status, data, headers)
            return _decode(data)

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            return await asyncio.open_connection(self.host, self.port, ssl=self.ssl, limit=1 << 20)
        except OSError as exc:
            raise APIConnectionError(f"cannot connect to {self.host}:{self.port} ({exc})") from exc

    @staticmethod
    async def _exchange(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes, cap: int
                        ) -> tuple[int, dict[str, str], bytes]:
        """One request and its answer; a body over `cap` bytes is refused before it is read (a declared
        length) or as soon as it passes the cap (chunked, or read until the server closes), so a broken or
        hostile endpoint costs at most `cap` bytes of memory."""
        reader, writer = conn
        writer.write(request)
        await writer.drain()
        lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            key, sep, value = line.partition(":")
            if sep:
                headers[key.strip().lower()] = value.strip()
        if "content-length" in headers:
            return status, headers, await reader.readexactly(_within(int(headers["content-length"]), cap))
        if headers.get("transfer-encoding", "").lower() == "chunked":
            return status, headers, await _read_chunked(reader, cap)
        headers["connection"] = "close"  # the body ends when the server closes
        return status, headers, await _read_to_close(reader, cap)

    def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()


async def _read_chunked(reader: asyncio.StreamReader, cap: int) -> bytes:
    parts, total = [], 0
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # the empty trailer line
            return b"".join(parts)
        total = _within(total + size, cap)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def _read_to_close(reader: asyncio.StreamReader, cap: int) -> bytes:
    parts, total = [], 0
    while chunk := await reader.read(1 << 16):
        total = _within(total + len(chunk), cap)
        parts.append(chunk)
    return b"".join(parts)


def _within(size: int, cap: int) -> int:
    """`size`, or the error that names the cap and the option that raises it."""
    if size > cap:
        raise APIResponseTooLargeError(
            f"the response body is larger than max_response_bytes={cap} (an answer of {size} bytes or more); "
            f"the endpoint is misbehaving, or raise max_response_bytes in the models.llm options")
    return size


def _decode(data: bytes) -> JsonObject:
    """The JSON answer; nesting too deep for the parser is a bad response, not a crash of spc."""
    try:
        return json.loads(data)
    except RecursionError as exc:
        raise ValueError("the response is JSON nested too deeply to be an answer") from exc
