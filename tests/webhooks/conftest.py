"""Webhook test seams: a real HTTP receiver on 127.0.0.1 and a recorder for Celery enqueues.

The receiver is a ``ThreadingHTTPServer`` that records every request (method, path with query,
headers, raw body) and answers from a script: a status code, ``("sleep", seconds, status)``,
``("redirect", location)`` or ``("status", code, body)``; 200 once the script runs out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.mutations.conftest import airtable, emulator_process_wide, run_engine  # noqa: F401

DELIVER_TASK = "webhooks.tasks.deliver"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    host: str
    port: int
    requests: list[Received] = field(default_factory=list)
    script: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hooks/callback?token=abc") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def answer(self, *steps: Any) -> None:
        with self.lock:
            self.script.extend(steps)

    def next_step(self) -> Any:
        with self.lock:
            return self.script.pop(0) if self.script else 200


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            with receiver.lock:
                receiver.requests.append(Received("POST", self.path, headers, body))
            step = receiver.next_step()
            status, payload, extra = 200, b'{"ok": true}', {}
            if isinstance(step, int):
                status = step
            elif step[0] == "sleep":
                time.sleep(step[1])
                status = step[2]
            elif step[0] == "redirect":
                status, extra = 302, {"Location": step[1]}
            elif step[0] == "status":
                status, payload = step[1], step[2]
            try:
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (timeout tests)

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    recorder = Receiver(host="127.0.0.1", port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorder))
    server.daemon_threads = True
    server.block_on_close = False
    recorder.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield recorder
    server.shutdown()
    server.server_close()


@pytest.fixture
def private_hosts(settings) -> None:
    settings.CALLBACK_ALLOW_PRIVATE_HOSTS = True


@pytest.fixture(autouse=True)
def enqueued(monkeypatch) -> list[tuple[str, float | None]]:
    """Celery enqueues of delivery attempts (``webhooks.tasks.deliver``), recorded instead of
    published to the broker; tests then send with ``delivery_send_due`` / ``delivery_attempt``
    explicitly. Other tasks are published as usual."""
    from config.celery import app

    calls: list[tuple[str, float | None]] = []
    send_task = app.send_task

    def record(name: str, args: tuple = (), *rest: Any, **kwargs: Any) -> Any:
        if name != DELIVER_TASK:
            return send_task(name, args, *rest, **kwargs)
        calls.append((args[0], kwargs.get("countdown")))
        return None

    monkeypatch.setattr(app, "send_task", record)
    return calls
