"""Reads of the covenant domain, always from a scoped queryset (`access.scoping`), shaped
for pages, exports and the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from zorgbrug.access import scoping as access
from zorgbrug.care.models import ActivityKind, CareSite
from zorgbrug.covenant.models import (
    CostKindChoice,
    CostLine,
    Covenant,
    Settlement,
    Statement,
    StatementSide,
)
from zorgbrug.network.models import Network, Organisation, Partner


def parse_month(value: str) -> dt.date:
    """'2026-10' -> 1 October 2026; anything else is a 404."""
    try:
        year, month = value.split("-")
        return dt.date(int(year), int(month), 1)
    except (ValueError, TypeError) as exc:
        raise Http404 from exc


def network_for_manage(user: Any, slug: str) -> Network:
    return access.get_or_404(access.networks(user, manage=True), slug=slug)


def covenants_of(user: Any, network: Network) -> QuerySet[Covenant]:
    return access.covenants(user).filter(network=network).order_by("-valid_from")


def covenant_for(user: Any, pk: int, *, manage: bool = False) -> Covenant:
    return access.get_or_404(
        access.covenants(user, manage=manage)
        .select_related("network")
        .prefetch_related(
            "parties__partner__organisation",
            "site_tariffs__care_site__site__organisation",
            "contribution_years",
            "allocation_keys__shares__partner__organisation",
        ),
        pk=pk,
    )


def settlement_for(user: Any, network: Network, month: dt.date) -> Settlement | None:
    return access.settlements(user).filter(network=network, month=month).first()


def settlement_by_pk(user: Any, pk: int) -> Settlement:
    return access.get_or_404(access.settlements(user).select_related("network"), pk=pk)


def statement_by_pk(user: Any, pk: int) -> Statement:
    return access.get_or_404(
        access.statements(user).select_related("settlement__network", "partner__organisation"),
        pk=pk,
    )


# --- Labels ------------------------------------------------------------------------------


def kind_label(kind: str) -> str:
    try:
        return str(CostKindChoice(kind).label)
    except ValueError:
        return kind


class Labeller:
    """Turns the codes on statement lines into words (one query per kind of name)."""

    def __init__(self, network_id: int) -> None:
        self.orgs = dict(
            Organisation.objects.filter(partnerships__network_id=network_id).values_list(
                "pk", "name"
            )
        )
        self.partners = {
            p.pk: p.organisation.name
            for p in Partner.objects.filter(network_id=network_id).select_related("organisation")
        }
        self.sites = {
            s.pk: s.site.name
            for s in CareSite.objects.filter(network_id=network_id).select_related("site")
        }

    def basis(self, code: str) -> str:
        if code == "fixed":
            return _("Fixed share")
        if code == "fallback":
            return _("Fallback share (lines no rule matches, unused places)")
        name, _sep, value = code.partition(":")
        if name == "referrer":
            org = self.orgs.get(int(value)) if value.isdigit() else None
            return _("Referred by %(organisation)s") % {"organisation": org or value}
        if name == "activity_kind":
            try:
                label = str(ActivityKind(value).label)
            except ValueError:
                label = value
            return _("Care for: %(kind)s") % {"kind": label}
        if name == "municipality":
            return _("Living in %(place)s") % {"place": value.title()}
        return code


# --- Statements --------------------------------------------------------------------------


@dataclass
class StatementRow:
    kind: str
    label: str
    where: str
    basis: str
    percent: Decimal
    adjustment: bool
    line_count: int
    quantity: Decimal
    gross: Decimal
    parent: Decimal
    amount: Decimal


@dataclass
class StatementView:
    statement: Statement
    network: Network
    month: dt.date
    partner_name: str
    side: str
    is_provider: bool
    total: Decimal
    gross: Decimal
    parent: Decimal
    rows: list[StatementRow]
    closed: bool
    settlement_total: Decimal

    @property
    def title(self) -> str:
        if self.is_provider:
            return _("Statement: owed to %(partner)s") % {"partner": self.partner_name}
        return _("Statement: to pay by %(partner)s") % {"partner": self.partner_name}

    @property
    def filename_stem(self) -> str:
        safe = "".join(c if c.isalnum() else "-" for c in self.partner_name.lower()).strip("-")
        return f"zorgbrug-{self.network.slug}-{self.month:%Y-%m}-{safe}-{self.side}"


def statement_view(statement: Statement) -> StatementView:
    settlement = statement.settlement
    labels = Labeller(settlement.network_id)
    rows = []
    for line in statement.lines.all().order_by("position"):
        if statement.side == StatementSide.PROVIDER:
            where = labels.sites.get(line.care_site_id or 0, "")
        else:
            where = labels.partners.get(line.provider_id or 0, "")
        rows.append(
            StatementRow(
                kind=line.kind,
                label=kind_label(line.kind)
                + (" — " + _("correction of a closed month") if line.adjustment else ""),
                where=where,
                basis=labels.basis(line.basis) if line.basis else "",
                percent=line.percent,
                adjustment=line.adjustment,
                line_count=line.line_count,
                quantity=line.quantity,
                gross=line.gross,
                parent=line.parent,
                amount=line.amount,
            )
        )
    return StatementView(
        statement=statement,
        network=settlement.network,
        month=settlement.month,
        partner_name=statement.partner.organisation.name,
        side=statement.side,
        is_provider=statement.side == StatementSide.PROVIDER,
        total=statement.total,
        gross=statement.gross,
        parent=statement.parent,
        rows=rows,
        closed=settlement.is_closed,
        settlement_total=settlement.total,
    )


@dataclass
class KindTotal:
    kind: str
    label: str
    lines: int = 0
    gross: Decimal = Decimal(0)
    parent: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)


@dataclass
class SettlementSummary:
    settlement: Settlement
    providers: list[Statement]
    payers: list[Statement]
    kinds: list[KindTotal] = field(default_factory=list)
    adjustments: list[CostLine] = field(default_factory=list)
    corrections: int = 0


def settlement_summary(settlement: Settlement) -> SettlementSummary:
    statements = list(
        settlement.statements.select_related("partner__organisation").order_by(
            "partner__organisation__name"
        )
    )
    kinds: dict[str, KindTotal] = {}
    for line in (
        settlement.lines.values("kind", "gross", "parent", "amount")
        .order_by()
        .iterator(chunk_size=5000)
    ):
        k = kinds.setdefault(line["kind"], KindTotal(line["kind"], kind_label(line["kind"])))
        k.lines += 1
        k.gross += line["gross"]
        k.parent += line["parent"]
        k.amount += line["amount"]
    order = {value: i for i, value in enumerate(CostKindChoice.values)}
    return SettlementSummary(
        settlement=settlement,
        providers=[s for s in statements if s.side == StatementSide.PROVIDER],
        payers=[s for s in statements if s.side == StatementSide.PAYER],
        kinds=sorted(kinds.values(), key=lambda k: order.get(k.kind, 99)),
        adjustments=list(
            settlement.lines.filter(kind=CostKindChoice.MANUAL)
            .select_related("provider__organisation")
            .order_by("pk")
        ),
        corrections=settlement.lines.filter(corrects__isnull=False).count(),
    )


def figures(user: Any) -> list[dict[str, Any]]:
    """Closed months' totals per network: what researchers may see."""
    return [
        {
            "network": s.network.slug,
            "month": s.slug,
            "total": s.total,
            "care_costs": s.gross_total,
            "parent_contributions": s.parent_total,
            "cost_lines": s.line_count,
        }
        for s in access.settlement_figures(user)
        .select_related("network")
        .order_by("network__slug", "month")
    ]


def compare_totals(
    current: dict[int, Decimal], proposed: dict[int, Decimal], network_id: int
) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """(partner, now, under the change, difference) for every partner on either side."""
    names = {
        p.pk: p.organisation.name
        for p in Partner.objects.filter(network_id=network_id).select_related("organisation")
    }
    rows = []
    for partner in set(current) | set(proposed):
        now, then = current.get(partner, Decimal(0)), proposed.get(partner, Decimal(0))
        rows.append((names.get(partner, str(partner)), now, then, then - now))
    return sorted(rows, key=lambda r: r[0])
