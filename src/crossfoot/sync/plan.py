"""``crossfoot sync plan``: the updates that make the CRM agree with the fields the ERP owns.

Read from the store after a run: the latest run's exceptions and matches, and
the canonical tables of that run's load. Each change names the CRM record and
field, the value before and after, the exception it resolves (if any) and why.
Only the CRM side is ever written; what cannot be planned is listed with the
reason (a field the CRM owns, a cause that needs a fix in the ERP, a deal in
another currency than the one the ERP amount is known in).

| change | from | when |
|---|---|---|
| amount | ``erp_adjustment_not_in_crm``, ``amount_mismatch`` | ``owners.amount: erp``, deal in the reporting currency |
| ``erp_ref`` stamped on the deal | every matched deal without it whose document (its order, else its invoice) carries the deal's id: stamping a deal whose document lacks it would only move the gap to the ERP side | ``owners.erp_ref: erp`` and ``crm.fields.erp_ref`` mapped |
| ``erp_customer_ref`` stamped on the account | every account matched to exactly one customer without it | ``owners.erp_customer_ref: erp`` and mapped |
| delivery status | ``stale_delivery_status`` where the ERP shows the goods shipped | ``owners.delivery_status: erp`` and mapped |
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from crossfoot.config import Definitions
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.errors import InputError
from crossfoot.store import rows

#: per CRM: the deal and account objects and the deal amount field in its API
CRM_OBJECTS = {
    "salesforce": {"deal": "Opportunity", "account": "Account", "amount": "Amount"},
    "hubspot": {"deal": "deals", "account": "companies", "amount": "amount"},
}
CHANGE_COLUMNS = (
    "change_id", "system", "object", "record_id", "field", "canonical_field", "before", "after",
    "exception_id", "cause", "why",
)  # fmt: skip
#: why an exception of each cause is not fixed by writing the CRM
NOT_WRITTEN = {
    "missing_in_erp": "the ERP has no document for the deal: create it in the ERP (crossfoot never writes the ERP)",
    "missing_in_crm": "the deal is missing in the CRM: create it there (a new record is not a field update)",
    "duplicate_in_erp": "a duplicate ERP document: void it in the ERP (crossfoot never writes the ERP)",
    "duplicate_customer": "merge the duplicate ERP customers in the ERP",
    "sync_timing_gap": "timing between periods: nothing to write",
    "product_line_mismatch": "product line lives on the product (Product2.Family / the line's product): fix the mapping",
    "fx_difference": "the FX rate or rate date differs: a definitions or ERP matter",
    "unmapped_product_rule": "the definitions lack a recognition rule for the product line",
    "definition_drift": "the ERP's recognition rule differs from the definitions: agree the rule",
}


@dataclass(frozen=True)
class Change:
    change_id: str
    system: str
    object: str
    record_id: str
    field: str
    canonical_field: str
    before: str | None
    after: str
    exception_id: str | None
    cause: str | None
    why: str


@dataclass(frozen=True)
class Plan:
    plan_id: str
    run_id: str
    created_at: str
    crm_system: str
    changes: tuple[Change, ...]
    not_planned: tuple[dict[str, str], ...]

    def to_json(self) -> str:
        data = asdict(self)
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, CHANGE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for c in self.changes:
            writer.writerow({k: _csv_safe(v) for k, v in asdict(c).items()})
        return buffer.getvalue()

    @staticmethod
    def load(path: Path) -> Plan:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            changes = tuple(Change(**c) for c in data["changes"])
            return Plan(data["plan_id"], data["run_id"], data["created_at"], data["crm_system"],
                        changes, tuple(data.get("not_planned", ())))  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"not a crossfoot change set: {exc}", location=str(path)) from exc


def _csv_safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) and not _number(text) else text


def _number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def _field(defs: Definitions, canonical: str) -> tuple[str, str] | None:
    """(object, field) the CRM keeps ``canonical`` in, from ``crm.fields``."""
    mapped = defs.crm.fields.get(canonical)
    if not mapped:
        return None
    obj, _, name = mapped.partition(".")
    return obj, name


def make_plan(backend: DuckDBBackend, defs: Definitions) -> Plan:
    """The change set of the latest run in the store."""
    latest = rows(backend, "select run_id from run_history order by started_at desc, run_id desc limit 1")
    if not latest:
        raise InputError("the store has no runs yet: run `crossfoot run` first")
    rid = latest[0]["run_id"]
    for table in ("deal", "account", "document", "run_matches"):
        if not backend.has_table(table):
            raise InputError(f"the store has no {table} table: run `crossfoot run` with this version first")
    system = defs.crm.system
    objects = CRM_OBJECTS[system]
    sync = defs.sync
    changes: list[Change] = []
    skipped: list[dict[str, str]] = []
    planned: set[str] = set()

    def add(obj: str, rec: str, field: str, canonical: str, before: Any, after: Any,
            exception_id: str | None, cause: str | None, why: str) -> None:  # fmt: skip
        ident = f"{system}|{obj}|{rec}|{field}|{after}"
        cid = "C-" + hashlib.sha256(ident.encode()).hexdigest()[:12]
        changes.append(Change(cid, system, obj, rec, field, canonical,
                              None if before is None else str(before), str(after),
                              exception_id, cause, why))  # fmt: skip
        if exception_id:
            planned.add(exception_id)

    exceptions = rows(
        backend,
        """select e.*, d.amount as deal_amount, d.currency as deal_currency,
                  d.delivery_status, d.erp_ref
           from run_exceptions e left join deal d on d.deal_id = e.crm_record_id
           where e.run_id = ? order by e.cause, e.exception_id""",
        [rid],
    )
    currency = defs.reporting.currency
    for e in exceptions:
        cause = e["cause"]
        if cause in ("erp_adjustment_not_in_crm", "amount_mismatch"):
            if sync.owner("amount") != "erp":
                skipped.append(_skip(e, "the CRM is the master of amount: the ERP is never written"))
            elif e["deal_currency"] != currency or e["deal_amount"] is None:
                skipped.append(_skip(e, f"the deal is in {e['deal_currency']}; the ERP amount is known "
                                        f"in {currency} only: update it by hand"))  # fmt: skip
            else:
                why = ("the ERP credited or re-priced the deal (" + str(e["erp_record_id"]) + ")"
                       if cause == "erp_adjustment_not_in_crm"
                       else "the ERP booked " + str(e["amount_erp"]) + f" {currency} on " + str(e["erp_record_id"]))  # fmt: skip
                add(objects["deal"], e["crm_record_id"], objects["amount"], "amount",
                    e["deal_amount"], e["amount_erp"], e["exception_id"], cause,
                    why + "; the ERP is the master of the amount after booking")  # fmt: skip
        elif cause == "stale_delivery_status":
            target = _field(defs, "delivery_status")
            delivered = {v.lower() for v in defs.delivered_values}
            if sync.owner("delivery_status") != "erp":
                skipped.append(_skip(e, "the CRM is the master of delivery status"))
            elif target is None:
                skipped.append(_skip(e, "no CRM field is mapped to delivery_status (crm.fields)"))
            elif (e["delivery_status"] or "").lower() in delivered:
                skipped.append(_skip(e, "the CRM says delivered and the ERP shows no shipment: "
                                        "check the fulfilment in the ERP"))  # fmt: skip
            else:
                add(target[0], e["crm_record_id"], target[1], "delivery_status", e["delivery_status"],
                    sync.delivered_value, e["exception_id"], cause,
                    f"the ERP shows the goods of {e['erp_record_id']} shipped")  # fmt: skip
    _stamps(defs, backend, rid, add, skipped)
    for e in exceptions:
        if e["exception_id"] not in planned and not any(s["exception_id"] == e["exception_id"] for s in skipped):
            reason = NOT_WRITTEN.get(e["cause"], "not a field the CRM can take from the ERP")
            if e["cause"] == "field_not_synced":
                reason = ("the ERP lacks the value (its documents are never written)"
                          if e["erp_ref"] else "the field is set on one side only: fix the mapping")  # fmt: skip
            skipped.append(_skip(e, reason))
    changes.sort(key=lambda c: (c.object, c.record_id, c.field))
    ident = rid + "|" + "|".join(c.change_id for c in changes)
    return Plan(
        plan_id="P-" + hashlib.sha256(ident.encode()).hexdigest()[:12],
        run_id=rid,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        crm_system=system,
        changes=tuple(dict.fromkeys(changes)),
        not_planned=tuple(sorted(skipped, key=lambda s: (s["cause"], s["exception_id"]))),
    )


def _skip(e: dict[str, Any], reason: str) -> dict[str, str]:
    return {"exception_id": e["exception_id"], "cause": e["cause"], "reason": reason}


def _stamps(
    defs: Definitions, backend: DuckDBBackend, rid: str, add: Any, skipped: list[dict[str, str]]
) -> None:
    """ERP ids stamped on matched deals and accounts that lack them."""
    sync = defs.sync
    deal_target = _field(defs, "erp_ref")
    if sync.owner("erp_ref") == "erp" and deal_target is not None:
        # the deal's order (else its invoice) with the lowest id, when that document carries the
        # deal's id (else the CRM alone would hold the link); the exception it resolves, if any
        for r in rows(
            backend,
            """with docs as (
                   select m.crm_record_id as deal_id, m.erp_record_id as doc_id, m.method,
                          row_number() over (partition by m.crm_record_id
                              order by case m.erp_object when 'order' then 0 else 1 end, m.erp_record_id) as k
                   from run_matches m where m.run_id = ? and m.crm_object = 'deal'
                       and m.erp_object in ('order', 'invoice'))
               select d.deal_id, docs.doc_id, docs.method, e.exception_id, e.cause
               from docs join deal d using (deal_id)
               left join run_exceptions e on e.run_id = ? and e.cause = 'field_not_synced'
                   and e.crm_record_id = d.deal_id
               join document x on x.doc_id = docs.doc_id and x.crm_deal_ref = d.deal_id
               where docs.k = 1 and d.erp_ref is null order by d.deal_id""",
            [rid, rid],
        ):
            add(deal_target[0], r["deal_id"], deal_target[1], "erp_ref", None, r["doc_id"],
                r["exception_id"], r["cause"],
                f"the deal is matched to ERP document {r['doc_id']} (method {r['method']}) and "
                "carries no ERP id; stamping it makes the match exact")  # fmt: skip
    account_target = _field(defs, "erp_customer_ref")
    if sync.owner("erp_customer_ref") == "erp" and account_target is not None:
        for r in rows(
            backend,
            """select a.account_id, min(m.erp_record_id) as customer_id, count(*) as n,
                      min(m.method) as method
               from run_matches m join account a on a.account_id = m.crm_record_id
               where m.run_id = ? and m.crm_object = 'account' and a.erp_customer_ref is null
               group by a.account_id order by a.account_id""",
            [rid],
        ):
            if r["n"] > 1:
                skipped.append({"exception_id": "", "cause": "duplicate_customer",
                                "reason": f"account {r['account_id']} matches {r['n']} ERP customers: "
                                          "merge them before stamping an id"})  # fmt: skip
                continue
            add(account_target[0], r["account_id"], account_target[1], "erp_customer_ref", None,
                r["customer_id"], None, None,
                f"the account is matched to ERP customer {r['customer_id']} (method {r['method']}) "
                "and carries no ERP id")  # fmt: skip


def write_plan(plan: Plan, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / f"sync-plan-{plan.run_id}"
    json_path, csv_path = base.with_suffix(".json"), base.with_suffix(".csv")
    json_path.write_text(plan.to_json(), encoding="utf-8")
    csv_path.write_text(plan.to_csv(), encoding="utf-8")
    return json_path, csv_path
