"""Three ``nats-server`` processes with JetStream on local ports, clustered (RAFT, so streams
can be R3): what ``cbec cluster up`` and the tests start (docs/scale-out.md). Debian's package
``nats-server`` (2.9) is installed by ``scripts/setup --test``."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CONFIG = """server_name: {name}
listen: 127.0.0.1:{port}
http: 127.0.0.1:{http}
jetstream {{
  store_dir: "{store}"
  max_memory_store: 64MB
  max_file_store: 2GB
}}
cluster {{
  name: cbec
  listen: 127.0.0.1:{cport}
  routes: [{routes}]
}}
"""


def nats_server_binary() -> str | None:
    return shutil.which("nats-server") or ("/usr/sbin/nats-server" if Path("/usr/sbin/nats-server").exists() else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    cport: int
    http: int
    config: Path
    process: subprocess.Popen[bytes] | None = None


@dataclass
class NatsCluster:
    """``size`` servers in one JetStream cluster, each with its own store under ``root``."""

    binary: str
    size: int = 3
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cbec-nats-")))
    servers: list[Server] = field(default_factory=list)

    def __post_init__(self) -> None:
        ports = [(free_port(), free_port(), free_port()) for _ in range(self.size)]
        routes = ", ".join(f"nats://127.0.0.1:{c}" for _, c, _ in ports)
        for i, (port, cport, http) in enumerate(ports):
            name = f"n{i + 1}"
            store = self.root / name
            store.mkdir(parents=True, exist_ok=True)
            config = self.root / f"{name}.conf"
            config.write_text(
                CONFIG.format(name=name, port=port, http=http, store=store, cport=cport, routes=routes),
                encoding="utf-8",
            )
            self.servers.append(Server(name, port, cport, http, config))

    @property
    def url(self) -> str:
        """Every server's address: the client fails over between them."""
        return ",".join(f"nats://127.0.0.1:{s.port}" for s in self.servers)

    def start(self, timeout: float = 120.0) -> None:
        for i in range(self.size):
            self.start_server(i)
        self.wait_ready(timeout)

    def start_server(self, i: int) -> None:
        s = self.servers[i]
        log = (self.root / f"{s.name}.log").open("ab")
        s.process = subprocess.Popen(  # own session: a Ctrl-C stops the workers first, then these
            [self.binary, "-c", str(s.config)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill_server(self, i: int) -> None:
        """kill -9: the server's RAFT peers go on without it (R3 keeps a quorum of two)."""
        p = self.servers[i].process
        if p is not None and p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
            p.wait(10)

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Until every running server answers its /healthz (JetStream up). After all three were
        stopped, each replays its streams from disk and the RAFT groups elect again before it
        answers: seconds on an idle machine, and more than 30 s was seen under a full test run."""
        deadline = time.monotonic() + timeout
        for s in self.servers:
            if s.process is None or s.process.poll() is not None:
                continue
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{s.http}/healthz", timeout=2) as r:
                        if r.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"nats-server {s.name} not ready after {timeout:.0f} s; {self._log_tail(s)}")
                time.sleep(0.2)

    def _log_tail(self, s: Server, lines: int = 15) -> str:
        """The end of a server's log, for an error raised before the folder is removed."""
        try:
            text = (self.root / f"{s.name}.log").read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            return f"no log ({exc.strerror})"
        return "its log ends:\n" + "\n".join(text.splitlines()[-lines:])

    def stop(self, remove: bool = True) -> None:
        for s in self.servers:
            if s.process is not None and s.process.poll() is None:
                s.process.terminate()
                try:
                    s.process.wait(10)
                except subprocess.TimeoutExpired:
                    s.process.kill()
        if remove:
            shutil.rmtree(self.root, ignore_errors=True)
