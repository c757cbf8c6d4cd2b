"""``cbec backup`` and ``cbec restore``: one archive of the database and the data directory's
files, and that archive put back into an empty data directory (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cbec.cli.common import DataDir, JsonOut, console, run, settings_for


def backup(
    out: Annotated[Path, typer.Option("--out", help="the archive to write (.tar.gz) / 备份文件")],
    force: Annotated[bool, typer.Option("--force", help="overwrite FILE if it exists / 覆盖已有文件")] = False,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Back up the database and its files into one archive, while the platform runs. / 备份数据库及其文件。"""
    from cbec.backup import service

    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        return service.back_up(settings, out, force=force)

    def render(r: dict[str, Any]) -> None:
        console.print(
            f"backup 备份: {r['out']} ({r['archive_bytes']:,} bytes 字节) — {r['database']} database 数据库 at "
            f"revision 版本 {r['alembic_revision']}, {r['rows']:,} rows 行, {r['files']} files 文件"
        )

    run(json_out, action, render)


def restore(
    file: Annotated[Path, typer.Argument(help="an archive written by cbec backup / cbec backup 生成的备份文件")],
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Restore a backup into an empty data directory (and empty database). / 将备份恢复到空的数据目录。"""
    from cbec.backup import service

    settings = settings_for(data_dir)

    def action() -> dict[str, Any]:
        return service.restore(settings, file)

    def render(r: dict[str, Any]) -> None:
        console.print(
            f"restored 已恢复 into 到 {r['data_dir']}: {r['files']} files 文件, {r['rows']:,} rows 行 "
            f"(backup of 备份于 {r['created_at']}, cbec {r['cbec_version']}); schema at 数据库结构版本 "
            f"{r['migrated_to']}"
        )

    run(json_out, action, render)
