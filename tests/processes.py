"""Start and stop the real processes of the stack for end-to-end tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], bool], *, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: S110 - the thing is not up yet
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} not ready after {timeout_s}s")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def start_redis(port: int) -> subprocess.Popen[bytes]:
    process = start(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        env={},
    )
    wait_for(lambda: port_open(port), timeout_s=10, what="redis")
    return process


def start_web(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = start(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "4",
        ],
        env,
    )
    wait_for(lambda: port_open(port), timeout_s=30, what="gunicorn")
    # The port opens when the master binds; the worker may still be loading Django. Wait until
    # the application answers, so a test's first request never pays for the boot.
    wait_for(lambda: app_answers(port), timeout_s=90, what="gunicorn's application")
    return process


def app_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5):
            return True
    except urllib.error.HTTPError:
        return True  # an answer, if not a healthy one (e.g. 503): the application is loaded
    except OSError:
        return False


def start_celery_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return start(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--queues",
            "celery,engine",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
        ],
        env,
    )


def stop(*processes: subprocess.Popen[bytes] | None) -> None:
    for process in processes:
        if process is not None and process.poll() is None:
            process.terminate()
    for process in processes:
        if process is not None:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
