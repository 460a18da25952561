"""HTTP layer and the :class:`EmulatorServer` Python API.

One ``ThreadingHTTPServer`` serves both the Airtable API (``/v0/…``, also the
``uploadAttachment`` content endpoint) and the admin API (``/_emulator/…``).
Per request: route → auth → rate limit → injected latency/5xx → handler → optional
"timeout after write" → response → request log.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import errors
from .faults import TIMEOUT_MODE_CLOSE, FaultInjector
from .handlers import ApiRequest, ApiResponse, Route, resolve_route
from .persistence import SAVE_DEBOUNCE_S, Persister
from .ratelimit import (
    DEFAULT_RATE_LIMIT_PER_S,
    RATE_LIMIT_PENALTY_S,
    REJECT_LIMIT,
    REJECT_PENALTY,
    REJECT_STORM,
    RateLimiter,
)
from .requestlog import (
    FAULT_ERROR,
    FAULT_PENALTY,
    FAULT_RATE_LIMIT,
    FAULT_STORM,
    FAULT_TIMEOUT,
    KIND_WRITE,
    NO_BASE,
    LogEntry,
    RequestLog,
)
from .store import UNKNOWN_TABLE_403, Store

DEFAULT_HOST = "127.0.0.1"
MAX_REQUEST_BYTES = 16 * 1024 * 1024  # a 5 MB upload is ~6.7 MB as base64 JSON
DEFAULT_LOG_ENTRIES_RETURNED = 1000
SHUTDOWN_POLL_INTERVAL_S = 0.05  # how quickly stop() is noticed by the accept loop
ADMIN_PREFIX = "_emulator"
API_VERSION_SEGMENT = "v0"
KIND_UNROUTED = "unrouted"
_REJECTION_FAULTS = {
    REJECT_LIMIT: FAULT_RATE_LIMIT,
    REJECT_PENALTY: FAULT_PENALTY,
    REJECT_STORM: FAULT_STORM,
}


class EmulatorApp:
    """State shared by all request threads."""

    def __init__(
        self, *, token: str | None, rate_limit_per_s: int, penalty_s: float, verbose: bool = False
    ) -> None:
        self.token = token
        self.verbose = verbose
        self.store = Store()
        self.limiter = RateLimiter(rate_limit_per_s, penalty_s)
        self.faults = FaultInjector()
        self.log = RequestLog()
        self.stopping = threading.Event()

    def is_authorized(self, header: str | None) -> bool:
        scheme, _, presented = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            return False
        return self.token is None or presented.strip() == self.token

    def reset(self, base_id: str | None = None, *, keep_config: bool = False) -> None:
        """Wipe data (all or one base). A full reset also clears faults, log and limits."""
        self.store.reset(base_id)
        self.faults.clear(base_id)
        if base_id is None:
            self.limiter.reset(config=not keep_config)
            self.log.clear()
            if not keep_config:
                self.store.set_unknown_table_status(UNKNOWN_TABLE_403)
        else:
            self.limiter.clear_storms(base_id)

    def log_summary(self) -> dict[str, Any]:
        return self.log.summary(self.limiter.max_windows())

    def clear_log(self) -> None:
        self.log.clear()
        self.limiter.clear_stats()

    def set_faults(self, base_id: str | None, settings: dict[str, Any]) -> dict[str, Any]:
        settings = dict(settings)
        storm_s = settings.pop("rate_limit_storm_s", None)
        described = self.faults.set(base_id, **settings) if settings else self.faults.describe()
        if storm_s is not None:
            self.limiter.start_storm(base_id, float(storm_s))
        return {"faults": described, "rate_limits": self.limiter.describe()}

    def clear_faults(self, base_id: str | None = None) -> None:
        self.faults.clear(base_id)
        self.limiter.clear_storms(base_id)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: EmulatorApp) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_all_connections(self) -> None:
        """Drop keep-alive connections so no handler thread outlives ``stop()``."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API behind a pooled session
    # Headers and body are separate writes; with Nagle on, each response would wait for the
    # client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    server: _HttpServer

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.app.verbose:
            super().log_message(format, *args)

    # ------------------------------------------------------------------ plumbing

    @property
    def app(self) -> EmulatorApp:
        return self.server.app

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        # Split before decoding so a table name containing "%2F" stays one segment.
        segments = [unquote(segment) for segment in parts.path.split("/")[1:]]
        while segments and segments[-1] == "":
            segments.pop()
        query = parse_qs(parts.query, keep_blank_values=True)
        try:
            body = self._read_body()
        except errors.ApiError as exc:
            self.close_connection = True
            self._send_json(exc.status, exc.payload)
            return
        if segments[:1] == [ADMIN_PREFIX]:
            self._handle_admin(method, segments[1:], query, body)
        else:
            self._handle_api(method, segments, query, body)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            raise errors.request_too_large()
        return self.rfile.read(length) if length else b""

    def _send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True  # the client gave up (e.g. its read timed out)

    # ------------------------------------------------------------------ Airtable API

    def _handle_api(
        self, method: str, segments: list[str], query: dict[str, list[str]], body: bytes
    ) -> None:
        route = None
        if segments[:1] == [API_VERSION_SEGMENT]:
            route = resolve_route(self.app.store, method, segments[1:])
        if route is None:
            self._finish(method, None, KIND_UNROUTED, errors.route_not_found())
            return
        if not self.app.is_authorized(self.headers.get("Authorization")):
            self._finish(method, route.base_id, route.kind, errors.authentication_required())
            return
        if route.base_id is not None:
            rejection = self.app.limiter.admit(route.base_id)
            if rejection is not None:
                self._finish(
                    method,
                    route.base_id,
                    route.kind,
                    errors.rate_limited(),
                    fault=_REJECTION_FAULTS[rejection],
                )
                return
        self._run_with_faults(method, route, ApiRequest(method, segments[1:], query, body))

    def _run_with_faults(self, method: str, route: Route, request: ApiRequest) -> None:
        settings = self.app.faults.effective(route.base_id)
        if settings.latency_ms:
            self.app.stopping.wait(settings.latency_ms / 1000)
        if self.app.faults.roll(route.base_id, settings.error_rate):
            status = self.app.faults.choose_status(route.base_id, settings.error_statuses)
            self._finish(
                method, route.base_id, route.kind, errors.server_error(status), fault=FAULT_ERROR
            )
            return
        response = self._execute(route, request)
        applied_write = route.kind == KIND_WRITE and response.status < 300
        if applied_write and self.app.faults.roll(route.base_id, settings.timeout_after_write_rate):
            # The write IS applied; the client just never gets a timely answer.
            self._log(
                method,
                route.base_id,
                route.kind,
                response.status,
                response.record_count,
                FAULT_TIMEOUT,
            )
            if settings.timeout_mode == TIMEOUT_MODE_CLOSE:
                self.close_connection = True
                return
            self.app.stopping.wait(settings.timeout_s)
            self._send_json(response.status, response.payload)
            return
        self._finish(method, route.base_id, route.kind, response)

    def _execute(self, route: Route, request: ApiRequest) -> ApiResponse:
        try:
            return route.action(request)
        except errors.ApiError as exc:
            return ApiResponse(exc.status, exc.payload)
        except Exception:  # a bug in the emulator must not kill the connection thread
            traceback.print_exc(file=sys.stderr)
            failure = errors.server_error(500)
            return ApiResponse(failure.status, failure.payload)

    def _finish(
        self,
        method: str,
        base_id: str | None,
        kind: str,
        outcome: ApiResponse | errors.ApiError,
        fault: str | None = None,
    ) -> None:
        if isinstance(outcome, errors.ApiError):
            outcome = ApiResponse(outcome.status, outcome.payload)
        # Log before answering: a client that inspects the log right after its response
        # must see its own request.
        self._log(method, base_id, kind, outcome.status, outcome.record_count, fault)
        self._send_json(outcome.status, outcome.payload)

    def _log(
        self,
        method: str,
        base_id: str | None,
        kind: str,
        status: int,
        record_count: int,
        fault: str | None,
    ) -> None:
        self.app.log.add(
            LogEntry(
                ts=time.time(),
                base=base_id or NO_BASE,
                method=method,
                path=urlsplit(self.path).path,
                kind=kind,
                status=status,
                record_count=record_count,
                fault=fault,
            )
        )

    # ------------------------------------------------------------------ admin API

    def _handle_admin(
        self, method: str, segments: list[str], query: dict[str, list[str]], body: bytes
    ) -> None:
        try:
            payload = json.loads(body) if body.strip() else {}
            if not isinstance(payload, dict):
                raise ValueError("admin request bodies must be JSON objects")
            status, result = _admin_dispatch(self.app, method, segments, query, payload)
        except (ValueError, TypeError, KeyError) as exc:
            status, result = 422, {"error": {"type": "INVALID_ADMIN_REQUEST", "message": str(exc)}}
        except errors.ApiError as exc:
            status, result = exc.status, exc.payload
        self._send_json(status, result)


def _base_param(query: dict[str, list[str]], payload: dict[str, Any]) -> str | None:
    value = payload.get("base") or payload.get("base_id") or query.get("base", [None])[-1]
    return str(value) if value else None


def _admin_dispatch(
    app: EmulatorApp,
    method: str,
    segments: list[str],
    query: dict[str, list[str]],
    payload: dict[str, Any],
) -> tuple[int, Any]:
    base_id = _base_param(query, payload)
    resource = "/".join(segments)
    if resource == "health" and method == "GET":
        return 200, {"ok": True}
    if resource == "reset" and method == "POST":
        app.reset(base_id, keep_config=bool(payload.get("keep_config", False)))
        return 200, {"ok": True, "state": app.store.summary()}
    if resource == "state" and method == "GET":
        return 200, {
            **app.store.summary(),
            "rate_limits": app.limiter.describe(),
            "faults": app.faults.describe(),
        }
    if resource == "config":
        return _admin_config(app, method, base_id, payload)
    if resource == "faults":
        return _admin_faults(app, method, base_id, payload)
    if resource == "log":
        return _admin_log(app, method, base_id, query)
    if resource == "bases" and method == "POST":
        return 200, app.store.create_base(
            payload.get("name", ""), payload.get("tables", []), base_id=payload.get("id")
        )
    if resource == "bases" and method == "GET":
        return 200, app.store.summary()
    return 404, {"error": "NOT_FOUND"}


def _admin_config(
    app: EmulatorApp, method: str, base_id: str | None, payload: dict[str, Any]
) -> tuple[int, Any]:
    if method == "GET":
        return 200, app.limiter.describe()
    if method in ("PUT", "POST", "PATCH"):
        if "unknown_table_status" in payload:
            try:
                app.store.set_unknown_table_status(int(payload["unknown_table_status"]))
            except (TypeError, ValueError) as exc:
                return 400, {"error": {"type": "INVALID_REQUEST", "message": str(exc)}}
        described = app.limiter.set_config(
            base_id,
            rate_limit_per_s=payload.get("rate_limit_per_s"),
            penalty_s=payload.get("penalty_s"),
        )
        return 200, {**described, "unknown_table_status": app.store.unknown_table_status}
    return 404, {"error": "NOT_FOUND"}


def _admin_faults(
    app: EmulatorApp, method: str, base_id: str | None, payload: dict[str, Any]
) -> tuple[int, Any]:
    if method == "GET":
        return 200, {"faults": app.faults.describe(), "rate_limits": app.limiter.describe()}
    if method in ("PUT", "POST", "PATCH"):
        settings = {k: v for k, v in payload.items() if k not in ("base", "base_id")}
        return 200, app.set_faults(base_id, settings)
    if method == "DELETE":
        app.clear_faults(base_id)
        return 200, {"faults": app.faults.describe()}
    return 404, {"error": "NOT_FOUND"}


def _admin_log(
    app: EmulatorApp, method: str, base_id: str | None, query: dict[str, list[str]]
) -> tuple[int, Any]:
    if method == "DELETE":
        app.clear_log()
        return 200, {"ok": True}
    if method != "GET":
        return 404, {"error": "NOT_FOUND"}
    raw_limit = query.get("limit", [str(DEFAULT_LOG_ENTRIES_RETURNED)])[-1]
    limit = None if raw_limit == "all" else int(raw_limit)
    summary = app.log_summary()
    if base_id is not None:
        summary = {"base": base_id, **summary["bases"].get(base_id, {})}
    return 200, {"summary": summary, "entries": app.log.entries(base_id, limit)}


class EmulatorServer:
    """A local Airtable-compatible server running in a background thread.

    >>> srv = EmulatorServer(port=0, rate_limit_per_s=0).start()
    >>> srv.url
    'http://127.0.0.1:54321'
    >>> srv.stop()
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = 0,
        *,
        token: str | None = None,
        data_path: str | None = None,
        rate_limit_per_s: int = DEFAULT_RATE_LIMIT_PER_S,
        penalty_s: float = RATE_LIMIT_PENALTY_S,
        save_debounce_s: float = SAVE_DEBOUNCE_S,
        verbose: bool = False,
        unknown_table_status: int | None = None,
    ) -> None:
        self.host = host
        self.app = EmulatorApp(
            token=token, rate_limit_per_s=rate_limit_per_s, penalty_s=penalty_s, verbose=verbose
        )
        if unknown_table_status is not None:
            self.app.store.set_unknown_table_status(unknown_table_status)
        self._requested_port = port
        self._persister = (
            Persister(data_path, self.app.store, save_debounce_s) if data_path else None
        )
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> EmulatorServer:
        if self._persister is not None:
            self._persister.load()
            self._persister.start()
        self._httpd = _HttpServer((self.host, self._requested_port), self.app)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_INTERVAL_S},
            name="airtable-emulator-http",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.app.stopping.set()  # wakes handlers sleeping in latency/timeout faults
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.close_all_connections()
            self._httpd.server_close()
            self._httpd = None
        if self._persister is not None:
            self._persister.stop()

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C raises KeyboardInterrupt in the caller)."""
        while self._thread is not None and self._thread.is_alive():
            # Short joins keep the main thread responsive to signals.
            self._thread.join(timeout=1)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def store(self) -> Store:
        return self.app.store

    # ------------------------------------------------------------------ data helpers

    def reset(self, base_id: str | None = None, *, keep_config: bool = False) -> None:
        self.app.reset(base_id, keep_config=keep_config)

    def create_base(
        self, name: str, tables: Sequence[dict[str, Any]] = (), base_id: str | None = None
    ) -> dict[str, Any]:
        """Create a base with tables (metadata-API table specs); returns id, name, tables."""
        return self.app.store.create_base(name, tables, base_id=base_id)

    def create_table(
        self,
        base_id: str,
        name: str,
        fields: Sequence[dict[str, Any]],
        description: str | None = None,
    ) -> dict[str, Any]:
        spec: dict[str, Any] = {"name": name, "fields": list(fields)}
        if description:
            spec["description"] = description
        return self.app.store.create_table(base_id, spec, create_base=True)

    def records(self, base_id: str, table: str) -> list[dict[str, Any]]:
        return self.app.store.all_records(base_id, table)

    def flush(self) -> None:
        if self._persister is not None:
            self._persister.flush()

    # ------------------------------------------------------------------ limits, faults, log

    def set_config(
        self,
        base_id: str | None = None,
        *,
        rate_limit_per_s: int | None = None,
        penalty_s: float | None = None,
        unknown_table_status: int | None = None,
    ) -> dict[str, Any]:
        """Rate limits (per base or global) and, for the whole emulator, how an unknown table
        is answered: 403 INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND or 404 TABLE_NOT_FOUND."""
        if unknown_table_status is not None:
            self.app.store.set_unknown_table_status(unknown_table_status)
        return self.app.limiter.set_config(
            base_id, rate_limit_per_s=rate_limit_per_s, penalty_s=penalty_s
        )

    def set_faults(self, base_id: str | None = None, **settings: Any) -> dict[str, Any]:
        """latency_ms, error_rate, error_statuses, timeout_after_write_rate, timeout_s,
        timeout_mode ("delay"|"close"), seed, rate_limit_storm_s."""
        return self.app.set_faults(base_id, settings)

    def clear_faults(self, base_id: str | None = None) -> None:
        self.app.clear_faults(base_id)

    def log_summary(self, base_id: str | None = None) -> dict[str, Any]:
        summary = self.app.log_summary()
        return summary if base_id is None else summary["bases"].get(base_id, {})

    def log_entries(
        self, base_id: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        return self.app.log.entries(base_id, limit)

    def clear_log(self) -> None:
        self.app.clear_log()
