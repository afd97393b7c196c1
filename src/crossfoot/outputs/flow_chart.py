"""Geometry of the lead-to-cash flow map (inline SVG, no JavaScript), from a ``FlowMap``.

Two boxes, the CRM on the left and the ERP on the right; one row per field
that carries across, with the CRM's field name in the CRM box, the ERP's in
the ERP box and an arrow between them labelled with its coverage (set on
both sides and agreeing) and coloured by it; then one dashed arrow back from
the ERP per one-way flow, labelled with how many changes the CRM never saw.
"""

from __future__ import annotations

from dataclasses import dataclass

from crossfoot.diagnostic.findings import FlowMap
from crossfoot.diagnostic.flow import system_label
from crossfoot.outputs.safe import display_money

WIDTH_PX = 900.0
BOX_PX = 290.0
HEADER_PX = 64.0
ROW_PX = 40.0
PAD_PX = 10.0
NAME_CHARS = 40  # a field name longer than this is cut with an ellipsis (full name in <title>)
GOOD = 0.95  # coverage at or above: green; at or above FAIR: amber; below: red
FAIR = 0.80
#: one-way flows, named short enough for the ERP box (the table under the chart has the rest)
ONE_WAY_LABELS = {
    "credit_memos": "credit memos",
    "fulfilments": "fulfilments (shipped)",
    "erp_amount_changes": "order price changes",
    "erp_only_documents": "documents with no CRM deal",
}


@dataclass(frozen=True)
class FlowRow:
    key: str
    label: str  # above the arrow
    sublabel: str  # below the arrow
    crm_text: str
    erp_text: str
    crm_title: str
    erp_title: str
    tone: str  # good | fair | poor | oneway
    towards_crm: bool
    y_px: float


@dataclass(frozen=True)
class FlowChart:
    title: str
    width_px: float
    height_px: float
    box_px: float
    crm_title: str
    erp_title: str
    crm_objects: str
    erp_objects: str
    rows: tuple[FlowRow, ...]

    @property
    def left_px(self) -> float:
        return self.box_px

    @property
    def right_px(self) -> float:
        return self.width_px - self.box_px

    @property
    def middle_px(self) -> float:
        return self.width_px / 2


def _cut(text: str) -> str:
    return text if len(text) <= NAME_CHARS else text[: NAME_CHARS - 1] + "…"


def _tone(share: float) -> str:
    return "good" if share >= GOOD else "fair" if share >= FAIR else "poor"


def flow_chart(flow: FlowMap, currency: str) -> FlowChart:
    rows: list[FlowRow] = []
    y = HEADER_PX + PAD_PX
    for f in flow.fields:
        share = float(f.coverage)
        first = (
            f"CRM first {f.crm_first}, ERP first {f.erp_first}"
            if f.crm_first or f.erp_first
            else "no timestamps to compare"
        )
        rows.append(
            FlowRow(
                key=f.field,
                label=f"{f.label}: {share:.0%} agree",
                sublabel=f"{f.agree} of {f.matched} matched · {first}",
                crm_text=_cut(f.crm_field),
                erp_text=_cut(f.erp_field),
                crm_title=f.crm_field,
                erp_title=f.erp_field,
                tone=_tone(share) if f.matched else "poor",
                towards_crm=False,
                y_px=round(y, 1),
            )
        )
        y += ROW_PX
    for o in flow.one_way:
        if not o.records:
            continue
        rows.append(
            FlowRow(
                key=o.key,
                label=f"{o.not_seen} of {o.records} never seen in {o.target}",
                sublabel=f"{currency} {display_money(o.amount)}",
                crm_text="(not reflected)" if o.not_seen else "(reflected)",
                erp_text=_cut(ONE_WAY_LABELS.get(o.key, o.what)),
                crm_title=o.target,
                erp_title=o.what,
                tone="oneway" if o.not_seen else "good",
                towards_crm=True,
                y_px=round(y, 1),
            )
        )
        y += ROW_PX
    return FlowChart(
        title=f"Lead-to-cash flow: {system_label(flow.crm_system)} to "
        f"{system_label(flow.erp_system)}",
        width_px=WIDTH_PX,
        height_px=round(y + PAD_PX, 1),
        box_px=BOX_PX,
        crm_title=f"{system_label(flow.crm_system)} (CRM)",
        erp_title=f"{system_label(flow.erp_system)} (ERP)",
        crm_objects=", ".join(flow.crm_objects),
        erp_objects=", ".join(flow.erp_objects),
        rows=tuple(rows),
    )
