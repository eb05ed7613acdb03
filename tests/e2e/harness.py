"""Launch the real local stack (`python -m devstack`) as a subprocess and talk to it over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
READY_LINE = "COMANDA READY"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.body!r})"


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    port: int
    output: list[str] = field(default_factory=list)
    token: str | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def banner_value(self, label: str) -> str:
        """The value of a banner line such as `  AWS endpoint    http://...`."""
        for line in self.output:
            if line.strip().startswith(label):
                return line.strip()[len(label) :].strip()
        raise KeyError(label)

    @property
    def aws_endpoint(self) -> str:
        return self.banner_value("AWS endpoint").split()[0]

    def as_(self, token: str | None) -> RunningStack:
        return RunningStack(self.process, self.port, self.output, token)

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
        all_headers = {"Content-Type": "application/json"}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        all_headers.update(headers or {})
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw, out_headers = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            status, raw, out_headers = exc.code, exc.read(), dict(exc.headers)
        text = raw.decode()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return Reply(status, parsed, out_headers)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.call("POST", path, body, **kw)

    def login(self, username: str, password: str) -> str:
        reply = self.as_(None).post("/api/auth/login", {"nombre_usuario": username, "contrasena": password})
        assert reply.status == 201, reply
        return str(reply.body["access_token"])

    def stop(self, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return int(self.process.returncode)


def launch_stack(extra_env: dict[str, str] | None = None, args: list[str] | None = None, timeout: float = 90) -> RunningStack:
    """Start `python -m devstack` on a free port and wait for its READY line."""
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL" and not k.startswith("COMANDA_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra_env or {})
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack", "--port", str(port), *(args or [])],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    stack = RunningStack(process, port)
    ready = threading.Event()

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            stack.output.append(line.rstrip("\n"))
            if line.strip() == READY_LINE:
                ready.set()
        ready.set()

    threading.Thread(target=drain, daemon=True).start()
    started = time.monotonic()
    if not ready.wait(timeout) or process.poll() is not None:
        stack.stop()
        tail = "\n".join(stack.output[-40:])
        raise RuntimeError(f"local stack did not become ready within {timeout}s:\n{tail}")
    stack.output.append(f"(ready after {time.monotonic() - started:.2f}s)")
    return stack
