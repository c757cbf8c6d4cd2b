"""The ``cbec`` command: one sub-app per area; every command takes --json and --data-dir."""

from __future__ import annotations

import getpass
import socket
from pathlib import Path
from typing import Annotated

import typer

from cbec.audit import service as audit
from cbec.audit.rules import Actor
from cbec.cli import audit as audit_cli
from cbec.cli import (
    backup,
    bus,
    catalogue,
    credit,
    customs,
    demo,
    finance,
    intake,
    logistics,
    partners,
    privacy,
    report,
    risk,
    sharing,
    stats,
    tax,
    warehouse,
    web,
)
from cbec.cli.common import set_root_data_dir
from cbec.cli.generate import generate
from cbec.cli.journey import journey_command

app = typer.Typer(
    help="cbec — cross-border e-commerce one-stop service platform / 跨境电商线上综合服务平台",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="data directory for every command (or CBEC_DATA_DIR)")
    ] = None,
) -> None:
    set_root_data_dir(data_dir)
    # who changes anything in this run, for the audit trail: the operating-system user on this host
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name in this environment (a container without one)
        user = "unknown"
    audit.set_actor(Actor("cli", user, "", f"cli@{socket.gethostname()}"))


app.add_typer(partners.app, name="partner")
app.add_typer(catalogue.app, name="catalogue")
app.add_typer(tax.app, name="tax")
app.add_typer(finance.app, name="finance")
app.add_typer(logistics.app, name="logistics")
app.add_typer(warehouse.app, name="warehouse")
app.add_typer(credit.app, name="credit")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(report.app, name="report")
app.add_typer(risk.app, name="risk")
app.add_typer(privacy.app, name="privacy")
app.add_typer(sharing.app, name="sharing")
app.add_typer(stats.app, name="stats")
app.add_typer(web.app, name="user")
app.add_typer(bus.app, name="bus")
app.add_typer(bus.cluster_app, name="cluster")
app.command("import")(intake.import_)
app.command("match")(intake.match)
app.command("status")(intake.status)
app.command("demo")(demo.demo)
app.command("generate")(generate)
app.command("declare")(customs.declare)
app.command("worker")(customs.worker)
app.command("node")(bus.node)
app.command("sandbox")(customs.sandbox)
app.command("summarise")(customs.summarise)
app.command("declarations")(customs.customs_status)
app.command("cancel")(customs.cancel)
app.command("return")(customs.return_)
app.command("timeline")(customs.timeline)
app.command("journey")(journey_command)
app.command("serve")(web.serve)
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
