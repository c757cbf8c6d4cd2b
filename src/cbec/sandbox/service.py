"""Sandbox customs: a customs and e-port simulator that answers on the platform's message folders.

It works the way China E-port's client does, on the same folders as ``FolderTransport``: it
takes complete message files from ``<root>/out/`` (never ``.part`` files), answers each with
receipt files written atomically into ``<root>/in/``, and moves the file it read into
``<root>/sandbox/processed/YYYYMMDD/`` (moved, never deleted). What customs has received is its
own state, in SQLite at ``<root>/sandbox/state.sqlite3``: the sandbox is a separate system and
never touches the platform's database. See docs/sandbox.md.

What it checks, in order (CEB.md §4.2, §5.1; RULES.md §1.2):

1. the file: well-formed XML, a DxpMsg envelope unwrapped if there is one, a known enterprise
   declaration, valid against the official XSD → otherwise a CEB900 ``MessageReturn``;
2. an RSA-SHA1 signature, when there is one, verifies → otherwise −621029 on every entity;
3. per entity: duplicates (−301010 order, −401007 payment, −504012 waybill, −621004 list,
   −900001 other documents), references (a list's order and waybill, a cancellation's or
   return's list → 100 naming what is missing), customs' matching checks (100 with the reason;
   −621027 for a repeated gnum), and for retail import lists the limits of 财关税〔2018〕49号
   (−621005 over CNY 5,000 per order, −621018 over CNY 26,000 per buyer and calendar year).

Accepted documents walk the real status sequence, one status per ``step``: 2 at once, then 120
for orders, payments and waybills; 2 → 120 (invtNo assigned) → [500 inspection] → 800 → 899 for
lists; 2 → 399 for cancellations (the list becomes void); 2 → 120 (sumNo) → CEB792 for summaries.

Deterministic: receipt guids, numbers and the choice of lists to inspect derive from ``seed`` and
counters kept in the state file, and every time comes from ``clock``; the same files with the same
seed and clock give byte-identical receipts. Every receipt is checked against the official XSD
before it is written (``check_receipts``, 1.0 by default; a lower share only in bench/e2e.py's
sandbox process). The store is set-based and declarations are read by the compiled reader
(docs/sandbox.md, "What it costs").
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from cbec.ceb.envelope import unwrap, wrap
from cbec.ceb.messages import (
    BY_CODE,
    RECEIPT_FOR,
    Entity,
    Kind,
    build,
    check_message,
    layout_of,
)
from cbec.ceb.messages.codec import CHINA_TIME
from cbec.ceb.messages.compiled import parse_compiled
from cbec.ceb.signing import RSA_SHA1, SignatureInvalid, verify_tree
from cbec.ceb.xsd import CEB_NS, DS_NS, DXP_NS, DXP_TERMINAL_XSD, parse_xml, validate
from cbec.customs.transport import atomic_write, ready_files
from cbec.errors import CbecError
from cbec.sandbox.handlers import HANDLED, MessageHandlers, prefetch_keys
from cbec.sandbox.receipts import addressed, message_name, rank, receipt_xml
from cbec.sandbox.repository import Store, to_json
from cbec.sandbox.rules import (
    FORMAT_ERROR,
    NOT_ACCEPTED,
    PRE_NO_PREFIX,
    RESULT,
    RETURN_FIELDS,
    ROOT,
    SCHEMA_ERROR,
    SIGNATURE_FAILED,
    STATUS_INFO,
    dec,
    error,
    side_of,
    xml_text,
)
from cbec.sandbox.schemas import Answer, Incoming, SandboxReport, Walk


def changes_more_than_status(walk: Walk, status: str) -> bool:
    """Whether a walk's step does more to what customs holds than set the document's status (the
    branches of ``SandboxCustoms._apply``): a list's 入库 numbers it, a cancellation voids its
    list, a return's last step gives its list back, a filing's or a summary's 入库 numbers it."""
    return (
        (walk.kind in ("list", "filing", "summary") and status == "120")
        or walk.kind == "cancel"
        or (walk.kind == "refund" and not walk.plan)
    )


class SandboxCustoms(MessageHandlers):
    """Customs and the e-port, simulated over the platform's message folders (``root/out``, ``root/in``).

    ``seed`` makes the answers reproducible (guids, numbers, which lists are inspected);
    ``inspection_rate`` is the share of lists sent to inspection (500) before release when
    ``lanes`` gives no lane (``lanes(side, copNo)``: the platform's risk lane; red → 500
    inspection, yellow → 300 document check, blue and green → released);
    ``state_path`` is the SQLite file of what customs has received
    (default ``root/sandbox/state.sqlite3``); ``clock`` gives every time written (default now,
    China time).
    """

    def __init__(
        self,
        root: Path,
        *,
        seed: int = 0,
        inspection_rate: float = 0.0,
        state_path: Path | None = None,
        clock: Callable[[], datetime] | None = None,
        require_signatures: bool = False,
        lanes: Callable[[str, str], str | None] | None = None,
        check_receipts: float = 1.0,
    ) -> None:
        if not 0.0 <= inspection_rate <= 1.0:
            raise ValueError(f"inspection_rate must be between 0 and 1, not {inspection_rate}")
        if not 0.0 <= check_receipts <= 1.0:
            raise ValueError(f"check_receipts must be between 0 and 1, not {check_receipts}")
        self.root = Path(root)
        self.out_dir = self.root / "out"
        self.in_dir = self.root / "in"
        self.processed_dir = self.root / "sandbox" / "processed"
        self.seed = seed
        self.inspection_rate = inspection_rate
        #: share of receipt files checked against the official XSD before they are written (1.0:
        #: every one, the default); spread evenly over the files written by this object
        self.check_receipts = check_receipts
        self._receipts_built = 0
        #: the platform's risk lane of a list, (side I/E, copNo) → red | yellow | blue | green | None;
        #: red lists are inspected (500), yellow ones get a document query (300)
        self.lanes = lanes
        #: answer an unsigned 621/623/625/711 (signature mandatory in the XSD) with −621029, as the
        #: e-port does; off by default so unsigned test traffic can be exercised
        self.require_signatures = require_signatures
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(CHINA_TIME))
        self.state = Store(state_path or self.root / "sandbox" / "state.sqlite3")
        self._now = self._china(self.clock())
        self._step_no = 0

    def close(self) -> None:
        self.state.close()

    def __enter__(self) -> SandboxCustoms:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- public -------------------------------------------------------------------------------

    def step(self, limit: int | None = None) -> SandboxReport:
        """Answer the files waiting in ``out/`` (at most ``limit``), then move every walk started
        in an earlier step on by one status.

        Answering first lets a cancellation sent after a list's 800 reach the list before it
        closes (899). Each file is one transaction: its receipts are written, the state is
        committed, then the file is moved to ``sandbox/processed/``.
        """
        report = SandboxReport(steps=1)
        self._now = self._china(self.clock())
        self._step_no = self.state.next("step")
        self.state.commit()
        incoming: list[tuple[Path, bytes]] = [(p, p.read_bytes()) for p in ready_files(self.out_dir, limit)]
        # Documents before the lists that refer to them when they arrive together (CEB.md §5.1 import 5).
        incoming.sort(key=lambda item: rank(item[1]))
        for path, data in incoming:
            report.files_read += 1
            try:
                self._answer_file(path.name, data, report)
                self.state.log_received(path.name, data, message_name(data), self._t17())
                self.state.commit()
            except BaseException:
                self.state.rollback()
                raise
            self._move_processed(path)
        try:
            self._advance(report)
            self.state.commit()
        except BaseException:
            self.state.rollback()
            raise
        report.pending = self.state.pending()
        return report

    def run_until_idle(self, max_steps: int = 50) -> SandboxReport:
        """Step until nothing waits in ``out/`` and every walk has ended (or ``max_steps``)."""
        total = SandboxReport()
        for _ in range(max_steps):
            report = self.step()
            total.merge(report)
            if report.files_read == 0 and report.pending == 0:
                break
        return total

    # --- files ----------------------------------------------------------------------------------

    def _move_processed(self, path: Path) -> Path:
        folder = self.processed_dir / self._day()
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        n = 1
        while target.exists():  # the same name was processed before: keep both
            target = folder / f"{path.stem}.{n}{path.suffix}"
            n += 1
        os.replace(path, target)
        return target

    def _write(self, code: str, data: bytes, guid: str, reply: Mapping[str, str] | None, report: SandboxReport) -> None:
        if reply is not None:
            data = wrap(
                data,
                sender_id=reply["sender"],
                receiver_ids=[reply["receiver"]],
                created_at=self._now,
            )
        atomic_write(self.in_dir / f"{code}_{self._t17()}_{guid}.xml", data)
        report.receipt_files += 1

    def _emit(
        self,
        code: str,
        entities: Sequence[Mapping[str, Any]],
        reply: Mapping[str, str] | None,
        report: SandboxReport,
    ) -> None:
        """Write receipt message ``code`` (≤100 entities per file), each checked against its XSD."""
        for start in range(0, len(entities), 100):
            chunk = entities[start : start + 100]
            guid = self._guid()
            self._write(code, receipt_xml(code, chunk, guid, check=self._check_next()), guid, reply, report)
            for status, n in Counter(str(entity["returnStatus"]) for entity in chunk).items():
                report.count(code, status, n)

    def _check_next(self) -> bool:
        """Whether the next receipt file is checked against its XSD: ``check_receipts`` of them,
        evenly spread (the 1st, then whenever the running share falls behind)."""
        n = self._receipts_built
        self._receipts_built += 1
        return self.check_receipts >= 1.0 or int((n + 1) * self.check_receipts) > int(n * self.check_receipts) or n == 0

    # --- intake -----------------------------------------------------------------------------------

    def _answer_file(self, name: str, data: bytes, report: SandboxReport) -> None:
        opened = self._open(name, data)
        if isinstance(opened, Incoming):
            self._answer_message(opened, report)
            return
        status, info, ori_type, ori_id, reply, original = opened
        entity = {
            "guid": self._guid(),
            "returnStatus": str(status),
            "returnInfo": info[:5000],
            "returnTime": self._t17(),
            "oriCopMsgId": ori_id[:255],
            "oriMessageType": ori_type,
            "oriBizMessage": xml_text(original),
        }
        self._emit("CEB900", [entity], reply, report)
        report.ceb900 += 1

    def _open(self, name: str, data: bytes) -> Incoming | tuple[int, str, str, str, dict[str, str] | None, bytes]:
        """The declaration in a file, or what the CEB900 must say about it."""
        reply: dict[str, str] | None = None
        cop_msg_id = ""
        inner = data
        try:
            root = parse_xml(data, name)
        except CbecError as exc:
            code, info = error(FORMAT_ERROR, exc.message_zh)
            return code, info, "Unknown", name, None, data
        if root.tag == f"{{{DXP_NS}}}DxpMsg":
            problems = validate(root, DXP_TERMINAL_XSD)
            if not problems:
                try:
                    envelope = unwrap(data)
                except CbecError as exc:
                    problems = [exc.message_zh]
            if problems:
                code, info = error(FORMAT_ERROR, f"DxpMsg 报文封装错误：{'；'.join(problems[:5])}")
                return code, info, "Unknown", name, None, data
            inner, cop_msg_id = envelope.data, envelope.cop_msg_id
            if envelope.sender_id:
                reply = {"sender": "", "receiver": envelope.sender_id}
            try:
                root = parse_xml(inner, name)
            except CbecError as exc:
                code, info = error(FORMAT_ERROR, exc.message_zh)
                return code, info, "Unknown", cop_msg_id or name, addressed(reply, None), inner
        qname = etree.QName(root)
        match = ROOT.match(qname.localname)
        spec = BY_CODE.get(f"CEB{match.group(1)}") if match and qname.namespace == CEB_NS else None
        ori_id = cop_msg_id or root.get("guid") or name
        if spec is None:
            code, info = error(NOT_ACCEPTED, f"未知报文 {qname.localname}")
            return code, info, "Unknown", ori_id, addressed(reply, None), inner
        if spec.kind is not Kind.DECLARATION or spec.code not in HANDLED:
            code, info = error(NOT_ACCEPTED, f"{spec.code} {spec.title_zh} 不是企业向海关申报的报文")
            return code, info, qname.localname, ori_id, addressed(reply, spec), inner
        problems = check_message(root)
        if problems:
            code, info = error(SCHEMA_ERROR, "；".join(problems[:10]))
            return code, info, qname.localname, ori_id, addressed(reply, spec), inner
        return Incoming(name, inner, parse_compiled(root, document=name), addressed(reply, spec), root)

    def _signature_problem(self, incoming: Incoming) -> tuple[int, str] | None:
        """Verify an RSA-SHA1 signature (the sandbox's and tests' ``SoftwareRsaSigner``); other
        algorithms (SM2 needs a certified verifier) are taken as they are."""
        if not incoming.parsed.is_signed:
            _spec, lay = layout_of(incoming.parsed.message)
            if (
                self.require_signatures and lay.signature == "required"
            ):  # 621/623/625/711: the XSD makes the signature mandatory
                return error(SIGNATURE_FAILED, "报文未加签：该报文须有数字签名（ds:Signature）")
            return None
        method = incoming.root.find(f"{{{DS_NS}}}Signature/{{{DS_NS}}}SignedInfo/{{{DS_NS}}}SignatureMethod")
        if method is None or method.get("Algorithm") != RSA_SHA1:
            return None
        try:
            verify_tree(incoming.root)
        except SignatureInvalid as exc:
            return error(SIGNATURE_FAILED, exc.message_zh)
        return None

    def _answer_message(self, incoming: Incoming, report: SandboxReport) -> None:
        parsed = incoming.parsed
        spec = BY_CODE[parsed.message]
        receipt = RECEIPT_FOR[spec.code]
        _rspec, rlay = layout_of(receipt)
        ret_fields = rlay.head_spec.by_name
        signature = self._signature_problem(incoming)
        handler = HANDLED[spec.code]
        if signature is None:
            self.state.prefetch(prefetch_keys(spec, parsed.entities))
        entities: list[dict[str, Any]] = []
        for entity in parsed.entities:
            head = entity.head
            fixed: dict[str, Any] = {
                k: head[k] for k in ret_fields if k in head and k not in RETURN_FIELDS and head[k] not in (None, "")
            }
            prefix = PRE_NO_PREFIX.get(spec.code)
            if prefix and "preNo" in ret_fields:
                fixed["preNo"] = head.get("preNo") or self._pre_no(prefix)
            if signature is not None:
                answer = Answer(*signature)
            elif str(head.get("appStatus", "2")) == "1":
                answer = Answer(1, "电子口岸已暂存")
            else:
                answer = handler(self, spec, entity, fixed)
            values = dict(fixed)
            if "copNo" in ret_fields and not values.get("copNo") and values.get("preNo"):
                values["copNo"] = values["preNo"]  # 621/623/625 copNo is optional; their receipts need one
            if answer.plan:
                self.state.add_walk(
                    side=side_of(spec),
                    kind=answer.kind,
                    doc_key=answer.doc_key,
                    receipt=receipt,
                    source=incoming.file,
                    ret=values,
                    plan=answer.plan,
                    reply=incoming.reply,
                    born=self._step_no,
                )
            entities.append(
                {
                    **values,
                    "returnStatus": str(answer.status),
                    "returnInfo": answer.info[:1000],
                    "returnTime": self._t17(),
                }
            )
        self._emit(receipt, entities, incoming.reply, report)

    def _advance(self, report: SandboxReport) -> None:
        """Move every open walk of an earlier step one status on; one receipt file per (receipt
        type, source file)."""
        groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        replies: dict[tuple[str, str, str], dict[str, str] | None] = {}
        walks = self.state.open_walks(before=self._step_no)
        # the lists numbered in this step (入库), their customs offices read in one statement
        codes = self.state.list_customs_codes(
            (w.side, w.doc_key) for w in walks if w.kind == "list" and w.plan and w.plan[0] == "120"
        )
        for walk in walks:
            status = walk.plan.pop(0)
            report.advanced += 1
            if status == RESULT:
                self._summary_result(walk, report)
                self.state.update_walk(walk)
                continue
            info = self._apply(walk, status, codes)
            self.state.update_walk(walk)
            group = (walk.receipt, walk.source, to_json(walk.reply))
            groups.setdefault(group, []).append(
                {**walk.ret, "returnStatus": status, "returnInfo": info[:1000], "returnTime": self._t17()}
            )
            replies[group] = walk.reply
        for group, entities in groups.items():
            self._emit(group[0], entities, replies[group], report)

    def _apply(self, walk: Walk, status: str, codes: Mapping[tuple[str, str], str]) -> str:
        """What a status does to the documents customs holds; the receipt text."""
        info = STATUS_INFO.get(status, "海关处理中")
        if not changes_more_than_status(walk, status):  # most steps: no need to read the document
            self.state.set_status(walk.side, walk.kind, walk.doc_key, int(status))
            return info
        if walk.kind == "list" and status == "120":  # 入库: the list numbered, nothing else of it read
            customs_code = codes.get((walk.side, walk.doc_key))
            if customs_code is None:
                return info
            invt_no = self._invt_no(customs_code, walk.side)
            self.state.number_list(walk.side, walk.doc_key, int(status), invt_no)
            walk.ret["invtNo"], walk.ret_changed = invt_no, True
            return f"海关入库，清单编号 {invt_no}"
        doc = self.state.get(walk.side, walk.kind, walk.doc_key)
        if doc is None:
            return info
        doc.status = int(status)
        if walk.kind == "cancel":
            target = self.state.get(walk.side, "list", str(doc.data.get("list")))
            if target is not None:
                target.state, target.hold = "void", ""
                self.state.put(target)
                self.state.set_walk(walk.side, "list", target.key, is_open=False)
                self.state.give_back(target.key)
                info = f"海关审结：撤销成功，清单 {target.invt_no} 已作废"
        elif walk.kind == "refund" and not walk.plan:
            target = self.state.get(walk.side, "list", str(doc.data.get("list")))
            if target is not None:
                target.state, target.hold = "returned", ""
                self.state.put(target)
                self.state.set_walk(walk.side, "list", target.key, is_open=False)
                value = doc.data.get("value")
                self.state.give_back(target.key, None if value is None else Decimal(value))
                info = f"{info}：退货成功，清单 {target.invt_no}"
        elif walk.kind == "filing" and doc.message == "CEB711" and status == "120":
            # 入库单号 as in the official CEB712 sample: office + YYYYMMDD + 6-digit serial = 18
            customs_code = str(doc.head.get("customsCode"))
            rkd_no = f"{customs_code}{self._day()}{self.state.next(f'rkdNo:{customs_code}:{self._day()}'):06d}"
            walk.ret["rkdNo"], walk.ret_changed = rkd_no, True
            info = f"海关入库，入库单编号 {rkd_no}"
        elif walk.kind == "summary" and status == "120":
            sum_no = f"S{self._day()}{self.state.next(f'sumNo:{self._day()}'):09d}"
            doc.data["sumNo"] = sum_no
            walk.ret["sumNo"], walk.ret_changed = sum_no, True
            info = f"海关入库，汇总申请编号 {sum_no}"
        self.state.put(doc)
        return info

    def _summary_result(self, walk: Walk, report: SandboxReport) -> None:
        """CEB792 汇总结果单: the lists of a summary, lines numbered into declaration items
        (gseqno: one per gcode, or per gcode + name with itemNameFlag 1)."""
        doc = self.state.get("E", "summary", walk.doc_key)
        if doc is None:
            return
        head = doc.head
        lists = [d for d in (self.state.get("E", "list", k) for k in doc.data.get("lists", [])) if d is not None]
        items: dict[tuple[str, str], int] = {}
        lines = []
        for d in lists:
            for line in d.lines:
                item = (str(line.get("gcode")), str(line.get("gname")) if head.get("itemNameFlag") == "1" else "")
                gseqno = items.setdefault(item, len(items) + 1)
                lines.append(
                    {
                        "invtNo": d.invt_no,
                        "logisticsNo": d.head.get("logisticsNo"),
                        "gseqno": gseqno,
                        "gnum": int(line.get("gnum") or 0),
                        "gcode": line.get("gcode"),
                    }
                )
        customs_code = str(head.get("customsCode"))
        year = self._now.strftime("%Y")
        result = {
            "customsCode": customs_code,
            "sumNo": doc.data.get("sumNo"),
            "opDate": self._t17(),
            "declSeqNo": f"D{self._day()}{self.state.next(f'declSeqNo:{self._day()}'):09d}",
            # 报关单号: 4-digit office + year + 1 (export) + 9-digit serial
            "entryId": f"{customs_code}{year}1{self.state.next(f'entryId:{customs_code}:{year}'):09d}",
            "decState": "A",  # the value of the official sample; customs decides the codes (CEB.md §3.1)
            **{
                k: head.get(k)
                for k in ("agentCode", "agentName", "ebcCode", "ebcName", "declAgentCode", "declAgentName")
            },
            "grossWeight": sum((dec(d.head.get("grossWeight")) for d in lists), Decimal(0)),
            "netWeight": sum((dec(d.head.get("netWeight")) for d in lists), Decimal(0)),
            "msgCount": 1,
            "msgSeqNo": 1,
        }
        built = build("CEB792", [Entity(result, tuple(lines))], guid_factory=self._guid)
        for message in built:
            self._write("CEB792", message.data, message.guid, walk.reply, report)
            report.summary_results += 1
        for d in lists:
            d.summary = str(doc.data.get("sumNo"))
            self.state.put(d)
