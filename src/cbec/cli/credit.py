"""``cbec credit``: an enterprise's credit record (电商信用体系), the operator's imported lists,
objections and their answers. Thin: the rules are cbec.credit's."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from cbec.cli.common import DataDir, JsonOut, console, parse_day, rows_table, run_in_session

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(
    help="E-commerce credit: records, grades, lists / 电商信用：信用记录、评级与名单", no_args_is_help=True
)

Code = Annotated[str, typer.Argument(help="the enterprise's code / 企业代码", show_default=False)]


@app.command("show")
def show(
    code: Code,
    as_of: Annotated[str | None, typer.Option("--as-of", help="rating day / 评级日", show_default=False)] = None,
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """The credit record: grade, every factor's contribution, history, facts, events, objections.
    / 信用记录：等级、各项得分、历史、导入名单、事件与异议。"""
    from cbec.credit import service as credit

    def work(session: Session) -> dict[str, Any]:
        # a new grade is kept, the standing pushed to risk
        return credit.record(session, code, as_of=parse_day(as_of, "as_of", blank_is_none=False)).model_dump(
            mode="json"
        )

    def render(r: dict[str, Any]) -> None:
        g = r["current"]
        console.print(f"[bold]{r['enterprise_code']} {r['name']}[/] grade 等级 [bold]{g['grade']}[/] "
                      f"(score 得分 {g['score']}, computed 计算 {g['computed_grade']}, as of {g['as_of']})")  # fmt: skip
        t = Table("dimension 维度", "factor 因素", "value 值", "weight 权重", "points 得分")
        for c in g["contributions"]:
            t.add_row(f"{c['dimension_zh']} {c['dimension']}", c["factor"], str(c["value"]), c["weight"], c["points"])
        console.print(t)
        for o in g["overrides"]:
            console.print(f"override 调整: {o['message_zh']} / {o['message_en']}")
        console.print(f"grades kept 历史评级: {[(x['as_of'], x['grade']) for x in r['grades']]}")

    run_in_session(json_out, data_dir, work, render)


@app.command("import-list")
def import_list(
    path: Annotated[Path, typer.Argument(help="CSV: code,name,value,valid_from,valid_until", show_default=False)],
    source: Annotated[str, typer.Option(help="where the list comes from / 名单来源", show_default=False)],
    on: Annotated[str, typer.Option("--date", help="the list's date / 名单日期", show_default=False)],
    kind: Annotated[str, typer.Option(help="dishonest | tier / 失信名单或海关信用等级")] = "dishonest",
    by: Annotated[str, typer.Option(help="who imports / 导入人")] = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Import a dishonesty list or customs tiers (exported by the operator, never scraped).
    / 导入失信名单或海关信用等级（运营方导出，不抓取）。"""
    from cbec.credit import service as credit

    def work(session: Session) -> dict[str, Any]:
        day = parse_day(on, "date", blank_is_none=False)
        assert day is not None
        data = path.read_bytes()
        return credit.import_list(session, data, kind=kind, source=source, source_date=day, by=by).model_dump(
            mode="json"
        )

    run_in_session(
        json_out,
        data_dir,
        work,
        lambda r: console.print(f"{r['imported']} rows imported 已导入; rated again 重新评级: {r['enterprises']}"),
    )


@app.command("object")
def object_(
    code: Code,
    text: Annotated[str, typer.Option(help="the objection / 异议内容", show_default=False)],
    by: Annotated[str, typer.Option(help="who files it / 提出人")] = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """File an objection to a credit record. / 对信用记录提出异议。"""
    from cbec.credit import service as credit

    run_in_session(
        json_out,
        data_dir,
        lambda session: credit.file_objection(session, code, text, by=by).model_dump(mode="json"),
        lambda r: console.print(f"objection 异议 {r['id']} filed 已提交"),
    )


@app.command("answer")
def answer(
    objection_id: Annotated[int, typer.Argument(help="the objection's id / 异议编号", show_default=False)],
    status: Annotated[str, typer.Option(help="upheld | rejected / 成立或不成立", show_default=False)],
    text: Annotated[str, typer.Option("--answer", help="the reasons / 答复理由", show_default=False)],
    by: Annotated[str, typer.Option(help="who answers / 答复人")] = "cli",
    data_dir: DataDir = None,
    json_out: JsonOut = False,
) -> None:
    """Answer an objection (operator). / 答复异议（运营方）。"""
    from cbec.credit import service as credit

    run_in_session(
        json_out,
        data_dir,
        lambda session: credit.answer_objection(session, objection_id, status, text, by=by).model_dump(mode="json"),
        lambda r: console.print(f"objection 异议 {r['id']} → {r['status']}"),
    )


@app.command("grades")
def grades(data_dir: DataDir = None, json_out: JsonOut = False) -> None:
    """The latest grade of every enterprise rated. / 各企业最新评级。"""
    from cbec.credit import service as credit

    columns = {
        "enterprise 企业": "enterprise_code",
        "grade 等级": "grade",
        "score 得分": "score",
        "as of 日期": "as_of",
    }
    run_in_session(
        json_out,
        data_dir,
        lambda session: {"grades": [g.model_dump(mode="json") for g in credit.graded(session, None)]},
        lambda r: console.print(rows_table(r["grades"], columns)),
        commit=False,
    )
