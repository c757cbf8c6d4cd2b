"""``cbec node``, ``cbec bus submit|status``, ``cbec cluster up``: the pipeline on NATS JetStream
across processes and machines (docs/scale-out.md, decision 0015). Without ``--bus`` nothing here
runs: the embedded SQLite path is ``cbec import`` / ``declare`` / ``worker`` as before."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from cbec.bus.cluster import NatsCluster, nats_server_binary
from cbec.bus.engine import BusOptions
from cbec.bus.node import Node
from cbec.bus.publish import Submission, generated, publish
from cbec.bus.status import bus_status
from cbec.cli.common import DataDir, JsonOut, console, ensure_database, run, settings_for
from cbec.customs.keys import sandbox_key
from cbec.errors import InvalidInput
from cbec.pipeline import context_for, read_input

app = typer.Typer(help="The partitioned bus (NATS JetStream) / 分区消息总线", no_args_is_help=True)
cluster_app = typer.Typer(help="A local three-server cluster with workers / 本地三节点集群", no_args_is_help=True)

Bus = Annotated[str, typer.Option("--bus", envvar="CBEC_BUS", help="nats://host:port[,nats://…] / 总线地址")]
Partitions = Annotated[int, typer.Option(min=1, max=99, help="partitions of the bus (same on every node) / 分区数")]
Replicas = Annotated[int, typer.Option(min=1, max=5, help="copies of every stream (3: survives a server) / 副本数")]


def node(
    bus: Bus,
    partitions: Partitions = 8,
    replicas: Replicas = 3,
    lease_ttl: Annotated[float, typer.Option(help="seconds a dead node's partitions wait / 租约秒数")] = 6.0,
    ack_wait: Annotated[float, typer.Option(help="seconds before an unacknowledged message returns")] = 30.0,
    idle_exit: Annotated[float | None, typer.Option(help="exit after this many idle seconds / 空闲退出")] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Run the pipeline's services on the partitions this node holds. / 在本节点持有的分区上运行流水线。"""
    settings = settings_for(data_dir)
    opts = BusOptions(bus, partitions, replicas, lease_ttl, ack_wait)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        stop = asyncio.Event()

        async def main() -> dict[str, Any]:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            return (await Node(settings, opts).run(stop, idle_exit)).as_dict()

        return asyncio.run(main())

    run(json_out, action, lambda r: console.print(f"node 节点 {r['node']}: {r['messages']}"))


@app.command("submit")
def submit(
    files: Annotated[list[Path], typer.Argument(help="submission files, or a folder `cbec generate` wrote")],
    bus: Bus,
    seller: Annotated[str | None, typer.Option(help="seller (ebc) code / 电商企业代码")] = None,
    platform: Annotated[str | None, typer.Option(help="platform (ebp) code / 电商平台代码")] = None,
    sender: Annotated[str | None, typer.Option(help="sending enterprise / 发送方")] = None,
    fmt: Annotated[str, typer.Option("--format", help="auto | json | csv | …")] = "auto",
    partitions: Partitions = 8,
    replicas: Replicas = 3,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Publish submissions to the bus, cut by partition. / 将报文按分区发布到总线。"""
    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        ensure_database(settings)
        subs: list[Submission] = []
        for f in files:
            if f.is_dir():
                subs.extend(generated(settings, f))
                continue
            if seller is None:
                raise InvalidInput("--seller is required for a file", "提交文件须指定 --seller", field="seller")
            subs.append(Submission(read_input(f), context_for(settings, seller, platform, sender), fmt, f.name))
        t = time.perf_counter()
        n = asyncio.run(publish(BusOptions(bus, partitions, replicas), subs))
        return {"files": len(subs), "messages": n, "seconds": round(time.perf_counter() - t, 2)}

    run(json_out, action, lambda r: console.print(f"{r['files']} files → {r['messages']} messages 条消息"))


@app.command("status")
def status(bus: Bus, partitions: Partitions = 8, replicas: Replicas = 3, json_out: JsonOut = False) -> None:
    """Who holds which partition, and what waits on each consumer. / 分区归属与积压。"""

    def render(r: dict[str, Any]) -> None:
        for key, holder in sorted(r["leases"].items()):
            console.print(f"  lease 租约 {key}: {holder}")
        for name, c in sorted(r["consumers"].items()):
            console.print(f"  {name}: waiting 待处理 {c['pending']}, unacknowledged 未确认 {c['ack_pending']}")

    run(json_out, lambda: asyncio.run(bus_status(BusOptions(bus, partitions, replicas))), render)


@cluster_app.command("up")
def cluster_up(
    workers: Annotated[int, typer.Option(min=0, help="worker processes / 工作进程数")] = 2,
    partitions: Partitions = 8,
    database_url: Annotated[str, typer.Option(envvar="CBEC_DATABASE_URL", help="PostgreSQL URL")] = "",
    sandbox: Annotated[bool, typer.Option("--sandbox/--no-sandbox", help="run the customs simulator")] = True,
    data_dir: DataDir = None,
) -> None:
    """Three nats-servers (JetStream, R3) and N workers on this machine, until Ctrl-C. / 启动本地集群。"""
    binary = nats_server_binary()
    if binary is None:
        raise InvalidInput("nats-server is not installed (scripts/setup --test)", "未安装 nats-server", field="bus")
    settings = settings_for(data_dir)
    env = {**os.environ, "CBEC_DATA_DIR": str(settings.data_dir)}
    if database_url:
        env["CBEC_DATABASE_URL"] = database_url
    key, cert = sandbox_key(settings.data_dir / "keys", "cluster")
    env.update(CBEC_SIGNING_KEY=str(key), CBEC_SIGNING_CERT=str(cert))
    nats = NatsCluster(binary)
    nats.start()
    cbec = [sys.executable, "-m", "cbec.cli.main"]
    procs = [
        subprocess.Popen([*cbec, "node", "--bus", nats.url, "--partitions", str(partitions)], env=env)
        for _ in range(workers)
    ]
    if sandbox:
        procs.append(subprocess.Popen([*cbec, "sandbox", "--interval", "0.5"], env=env))
    console.print(f"bus 总线: {nats.url}\nworkers 工作进程: {[p.pid for p in procs[:workers]]}")
    console.print(f"submit 提交: cbec bus submit FOLDER --bus {nats.url} --partitions {partitions}")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            p.terminate()
        nats.stop()
