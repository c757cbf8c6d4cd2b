"""What every CLI command shares: settings from --data-dir, --json output, error rendering."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cbec.config import Settings, get_settings
from cbec.errors import CbecError

console = Console(stderr=False)
err_console = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="data directory (default ./cbec-data or CBEC_DATA_DIR) / 数据目录", show_default=False
    ),
]
JsonOut = Annotated[bool, typer.Option("--json", help="print one JSON object on stdout / 输出 JSON")]

_root_data_dir: Path | None = None


def set_root_data_dir(path: Path | None) -> None:
    global _root_data_dir
    _root_data_dir = path


def settings_for(data_dir: Path | None) -> Settings:
    chosen = data_dir or _root_data_dir
    base = get_settings()
    if chosen is None:
        return base
    return Settings(**{**base.model_dump(exclude={"data_dir", "database_url"}), "data_dir": chosen, "database_url": ""})


def ensure_database(settings: Settings) -> None:
    from cbec.db import migrate

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_url)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=_default) + "\n")
    sys.stdout.flush()


T = TypeVar("T")


def run(json_out: bool, action: Callable[[], T], render: Callable[[T], None]) -> T:
    """Run a command body; typed errors become a JSON object or a bilingual message and exit 1."""
    try:
        result = action()
    except CbecError as exc:
        if json_out:
            emit_json(exc.as_dict())
        else:
            err_console.print(f"[bold red]错误 Error[/]: {exc.message_zh}\n        {exc.message_en}")
            if exc.field:
                err_console.print(f"  field 字段: {exc.field}")
            for d in exc.details[:20]:
                err_console.print(f"  - {d}")
        raise typer.Exit(1) from None
    if json_out:
        emit_json(result)
    else:
        render(result)
    return result


@contextmanager
def progress_bar(label: str, enabled: bool) -> Iterator[Callable[[int, int | None], None]]:
    """A Rich progress bar on stderr (hidden with --json or when not a terminal)."""
    if not enabled:
        yield lambda done, total: None
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update
