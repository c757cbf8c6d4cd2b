"""What every CLI command shares: settings from --data-dir, a unit of work on its database,
--json output, error rendering, dates typed on the command line, tables of rows."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cbec.config import Settings, get_settings
from cbec.errors import CbecError, InvalidInput

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

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


def in_session(settings: Settings, work: Callable[[Session], T], *, commit: bool = True) -> T:
    """The database made ready, ``work`` run in one unit of work and, with ``commit``, what it
    did committed (a read leaves ``commit`` off: nothing it touched is kept)."""
    from cbec.unit_of_work import UnitOfWork

    ensure_database(settings)
    with UnitOfWork(settings) as uow:
        out = work(uow.session)
        if commit:
            uow.commit()
        return out


def run_in_session(
    json_out: bool,
    data_dir: Path | None,
    work: Callable[[Session], T],
    render: Callable[[T], None],
    *,
    commit: bool = True,
) -> T:
    """A command whose body is one unit of work (``in_session``) on the data directory's database,
    its result printed by ``render`` or as JSON, its typed errors mapped as ``run`` maps them."""
    settings = settings_for(data_dir)
    return run(json_out, lambda: in_session(settings, work, commit=commit), render)


def parse_day(text: str | None, name: str, *, blank_is_none: bool = True) -> date | None:
    """A day typed on the command line as YYYY-MM-DD, None when none is given (nor, with
    ``blank_is_none``, an empty text); the option's ``name`` is the field at fault when it is not
    a date."""
    if text is None or (blank_is_none and not text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{name} must be a date YYYY-MM-DD, not {text!r}", f"{name} 须为日期 YYYY-MM-DD", field=name
        ) from None


Cell = str | Callable[[Mapping[str, Any]], str]


def rows_table(rows: Iterable[Mapping[str, Any]], columns: Mapping[str, Cell], title: str | None = None) -> Table:
    """A table of ``rows`` (dicts), a column for each ``header: cell`` of ``columns``: the cell is
    the row's value under that key as text (None blank, as Rich shows it), or what the function
    makes of the row."""
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*(cell(row) if callable(cell) else _text(row[cell]) for cell in columns.values()))
    return table


def _text(value: Any) -> str:
    return "" if value is None else str(value)


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
