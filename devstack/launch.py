"""Launch the real local stack (`python -m devstack`) as a subprocess and talk to it over HTTP
(the e2e tests and the benches)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from devstack.client import HttpClient

REPO = Path(__file__).resolve().parents[1]
READY_LINE = "COMANDA READY"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningStack(HttpClient):
    process: subprocess.Popen[str]
    port: int
    output: list[str] = field(default_factory=list)
    token: str | None = None

    @property  # type: ignore[override]
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
