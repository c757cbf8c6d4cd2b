"""The house rules a machine can check (docs/architecture.md): every query in a repository, no
service that commits, functions short enough to read without scrolling, files a newcomer can
hold in their head. Each test names the places at fault, so a new area that copies the wrong
shape fails here with the file and line, not in a review."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "cbec"

#: modules whose job is the database itself: the ORM base, engines, the unit of work, tables
DATABASE_MODULES = {"orm.py", "db.py", "unit_of_work.py", "models.py", "repository.py"}

#: session methods that read or write rows; a service may only ``flush``
QUERY_METHODS = {"execute", "scalars", "scalar", "get", "add", "add_all", "delete", "merge", "query", "refresh"}

#: what a service may import from SQLAlchemy: the type of the session it is handed, and the
#: database's errors (an edge turns a lost race into a typed conflict)
ALLOWED_SQLALCHEMY = {("sqlalchemy.orm", "Session"), ("sqlalchemy", "Engine")}
ALLOWED_SQLALCHEMY_MODULES = {"sqlalchemy.exc"}

MAX_FUNCTION_LINES = 80
MAX_FILE_LINES = 600

#: functions over the limit that stay, each with the reason; none today, and a new entry needs a
#: reason of its own (a table-like function that reads worse split), never "not yet"
LONG_FUNCTIONS: dict[str, str] = {}

#: files over the limit that stay, each with the reason; none today (a role file that grows past
#: the limit becomes a package of that name)
LONG_FILES: dict[str, str] = {}


@dataclass(frozen=True)
class Module:
    path: Path
    tree: ast.Module
    lines: int

    @property
    def rel(self) -> str:
        return self.path.relative_to(SRC.parent).as_posix()

    @property
    def is_database_module(self) -> bool:
        parts = self.path.relative_to(SRC).parts
        return self.path.name in DATABASE_MODULES or "repository" in parts or parts[0] == "migrations"


def modules() -> Iterator[Module]:
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        yield Module(path, ast.parse(text), text.count("\n") + 1)


def _session_receiver(node: ast.expr) -> bool:
    """``session.x(…)``, ``self.session.x(…)``, ``uow.session.x(…)``."""
    return (isinstance(node, ast.Name) and node.id == "session") or (
        isinstance(node, ast.Attribute) and node.attr == "session"
    )


def sql_outside_repositories(module: Module) -> Iterator[str]:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sqlite3" or alias.name.startswith("sqlalchemy"):
                    yield f"{module.rel}:{node.lineno} import {alias.name}"
        elif (
            isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("sqlalchemy", "sqlite3")
        ):
            for alias in node.names:
                if (
                    node.module,
                    alias.name,
                ) not in ALLOWED_SQLALCHEMY and node.module not in ALLOWED_SQLALCHEMY_MODULES:
                    yield f"{module.rel}:{node.lineno} from {node.module} import {alias.name}"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in QUERY_METHODS
            and _session_receiver(node.func.value)
        ):
            yield f"{module.rel}:{node.lineno} session.{node.func.attr}(…)"


def test_every_query_is_in_a_repository() -> None:
    """SQL (SQLAlchemy statements, raw SQL, session reads and writes) only in repositories and
    the database modules; a service gets its rows from its area's repository."""
    found = [hit for m in modules() if not m.is_database_module for hit in sql_outside_repositories(m)]
    assert not found, "queries outside repositories:\n" + "\n".join(found)


#: outside systems that keep a store of their own and commit it at their own edge: the sandbox
#: customs answers each file in one transaction of its SQLite state (its ``step``)
OWN_STORES = ("sandbox",)


def test_only_the_edges_commit() -> None:
    """Services, repositories and rules flush; the unit of work at the edge (a request, a CLI
    command, a job) commits, so a failure leaves nothing half-written."""
    found = []
    for m in modules():
        parts = m.path.relative_to(SRC).parts
        if parts[0] in OWN_STORES:
            continue
        inner = m.path.stem in ("service", "repository", "rules") or "service" in parts or "repository" in parts
        if not inner:
            continue
        for node in ast.walk(m.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit":
                found.append(f"{m.rel}:{node.lineno}")
    assert not found, "commits below the edge:\n" + "\n".join(found)


def test_functions_fit_on_a_screen() -> None:
    found = []
    for m in modules():
        if m.is_database_module and "migrations" in m.path.parts:
            continue
        for node in ast.walk(m.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                name = f"{m.rel}:{node.name}"
                if size > MAX_FUNCTION_LINES and name not in LONG_FUNCTIONS:
                    found.append(f"{m.rel}:{node.lineno} {node.name} ({size} lines)")
    assert len(LONG_FUNCTIONS) <= 5
    stale = [name for name in LONG_FUNCTIONS if name not in _function_sizes()]
    assert not stale, f"functions listed as long that are gone or short now, take them off: {stale}"
    assert not found, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(found)


def _function_sizes() -> dict[str, int]:
    return {
        f"{m.rel}:{node.name}": (node.end_lineno or node.lineno) - node.lineno + 1
        for m in modules()
        for node in ast.walk(m.tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (node.end_lineno or node.lineno) - node.lineno + 1 > MAX_FUNCTION_LINES
    }


def test_files_stay_readable() -> None:
    found = [
        f"{m.rel} ({m.lines} lines)"
        for m in modules()
        if m.lines > MAX_FILE_LINES and m.rel not in LONG_FILES and "migrations" not in m.path.parts
    ]
    assert all(lines <= 1000 for lines in (m.lines for m in modules()))
    assert not found, f"files over {MAX_FILE_LINES} lines:\n" + "\n".join(found)
