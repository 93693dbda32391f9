"""Between the database and the pure cost engine: load a month as plain rows (a handful of
set-based queries, whatever the number of bookings), and write the engine's results back
in bulk. The services decide when; this module only moves data."""

from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Q

from zorgbrug.care import calendar as cal
from zorgbrug.care.models import Booking, CapacitySlot, CareSite, ReservedCapacity
from zorgbrug.covenant import engine
from zorgbrug.covenant.engine import BookingRow, CostRow, DayParts, ParentInfo, SlotRow
from zorgbrug.covenant.models import (
    AllocationKey,
    CostLine,
    Covenant,
    ParentTariff,
    Settlement,
    Statement,
    StatementLine,
    StatementSide,
)
from zorgbrug.covenant.money import (
    ContributionAmounts,
    ContributionMode,
    DayCountBand,
    Payment,
    Reduction,
    Tariff,
    Unit,
)
from zorgbrug.covenant.rules import Basis, CovenantRules, KeyRule, SiteTerms
from zorgbrug.network.models import Network, Partner

BATCH = 5000


@contextmanager
def paused_gc() -> Iterator[None]:
    """Hold the cyclic garbage collector while a month's rows are built: a hundred thousand
    tuples of Decimals would make it sweep again and again for nothing (they hold no
    cycles), which costs more than the calculation itself."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def day_parts() -> DayParts:
    return DayParts(
        starts={w.part: w.start for w in cal.WINDOWS},
        hours={
            w.part: Decimal((w.end.hour * 60 + w.end.minute) - (w.start.hour * 60 + w.start.minute))
            / 60
            for w in cal.WINDOWS
        },
        timezone=ZoneInfo(settings.TIME_ZONE),
    )


# --- Rules -----------------------------------------------------------------------------


def day_count_bands(raw: Any) -> tuple[DayCountBand, ...]:
    return tuple(
        DayCountBand(Decimal(str(b["from_hours"])), Decimal(str(b["percent"]))) for b in raw or ()
    )


def rules_from(covenant: Covenant, partner_by_org: dict[int, int]) -> CovenantRules:
    """A covenant version as the engine's plain rules (its related rows prefetched)."""
    sites = {}
    for t in covenant.site_tariffs.all():
        short = (
            Tariff(Unit(t.short_notice_unit or covenant.short_notice_unit), t.short_notice_price)
            if t.short_notice_price is not None
            else None
        )
        sites[t.care_site_id] = SiteTerms(
            care_site_id=t.care_site_id,
            provider_id=partner_by_org.get(t.care_site.site.organisation_id, 0),
            tariff=Tariff(Unit(t.unit), t.price),
            payment=Payment(t.payment),
            short_notice=short,
        )
    keys = []
    for key in covenant.allocation_keys.all():
        shares: dict[str, dict[int, Decimal]] = defaultdict(dict)
        for share in key.shares.all():
            shares[share.match][share.partner_id] = share.percent
        keys.append(
            KeyRule(
                id=key.pk,
                basis=Basis(key.basis),
                valid_from=key.valid_from,
                valid_until=key.valid_until,
                shares=dict(shares),
            )
        )
    return CovenantRules(
        id=covenant.pk,
        valid_from=covenant.valid_from,
        valid_until=covenant.valid_until,
        free_cancellation_hours=covenant.free_cancellation_hours,
        late_cancellation_percent=covenant.late_cancellation_percent,
        no_show_percent=covenant.no_show_percent,
        day_count=day_count_bands(covenant.day_count),
        contribution_mode=ContributionMode(covenant.contribution_mode),
        contribution_by_year={
            y.year: ContributionAmounts(
                flat_day_amount=y.flat_day_amount,
                min_day_price=y.min_day_price,
                max_day_price=y.max_day_price,
                income_floor=y.income_floor,
                income_ceiling=y.income_ceiling,
                sibling_discount_percent=y.sibling_discount_percent,
                reduced_percent=y.reduced_percent,
                lowest_day_price=y.lowest_day_price,
            )
            for y in covenant.contribution_years.all()
        },
        sites=sites,
        short_notice=(
            Tariff(Unit(covenant.short_notice_unit), covenant.short_notice_price)
            if covenant.short_notice_price is not None
            else None
        ),
        keys=tuple(keys),
    )


def partner_ids_by_org(network: Network) -> dict[int, int]:
    return dict(Partner.objects.filter(network=network).values_list("organisation_id", "pk"))


def covenants_between(network: Network, first: dt.date, last: dt.date) -> list[Covenant]:
    return list(
        Covenant.objects.filter(network=network, valid_from__lte=last)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=first))
        .prefetch_related(
            "site_tariffs__care_site__site",
            "contribution_years",
            "allocation_keys__shares",
        )
        .order_by("valid_from")
    )


def load_rules(network: Network, first: dt.date, last: dt.date) -> list[CovenantRules]:
    partner_by_org = partner_ids_by_org(network)
    return [rules_from(c, partner_by_org) for c in covenants_between(network, first, last)]


# --- The month's care ------------------------------------------------------------------

BOOKING_FIELDS = (
    "id",
    "care_site_id",
    "slot_id",
    "recipient_id",
    "request__client_id",
    "date",
    "day_part",
    "status",
    "uses_vacancy",
    "request__organisation_id",
    "request__activity__kind",
    "request__client__postcode",
    "request__client__municipality",
    "arrived_at",
    "picked_up_at",
    "cancelled_at",
)


def load_bookings(network: Network, first: dt.date, last: dt.date) -> list[BookingRow]:
    site_ids = list(CareSite.objects.filter(network=network).values_list("pk", flat=True))
    query = (
        Booking.objects.filter(care_site_id__in=site_ids, date__gte=first, date__lte=last)
        .exclude(status="pending")
        .values_list(*BOOKING_FIELDS)
        .order_by()
    )
    make = BookingRow._make
    if connection.vendor != "postgresql":
        # SQLite hands back text for dates and times: let the ORM convert them.
        return [make(r) for r in query]
    # One query, fetched whole, straight into tuples: a month can hold a hundred thousand
    # bookings, and the ORM's per-row work would cost more than the query.
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [make(r) for r in cursor.fetchall()]


def load_slots(
    versions: Sequence[CovenantRules], network: Network, first: dt.date, last: dt.date
) -> list[SlotRow]:
    """Slots with reserved places at sites whose places are paid whether used or not, each
    with the reservation it comes from (the first one, when several add up)."""
    site_ids = {
        site_id
        for v in versions
        for site_id, terms in v.sites.items()
        if terms.payment == Payment.ALWAYS
    }
    if not site_ids:
        return []
    reservations: dict[tuple[int, int, int, str], list[ReservedCapacity]] = defaultdict(list)
    for r in ReservedCapacity.objects.filter(
        care_site_id__in=site_ids, valid_from__lte=last, valid_until__gte=first
    ).order_by("pk"):
        reservations[(r.care_site_id, r.age_band_id, r.weekday, r.day_part)].append(r)

    def reservation_for(site: int, band: int, day: dt.date, part: str) -> int | None:
        for r in reservations.get((site, band, day.weekday(), part), ()):
            if r.valid_from <= day <= r.valid_until:
                return r.pk
        return None

    return [
        SlotRow(
            id=pk,
            care_site_id=site,
            date=day,
            day_part=part,
            reserved_places=reserved,
            reservation_id=reservation_for(site, band, day, part),
        )
        for pk, site, day, part, band, reserved in CapacitySlot.objects.filter(
            care_site_id__in=site_ids, date__gte=first, date__lte=last, reserved_places__gt=0
        )
        .values_list("pk", "care_site_id", "date", "day_part", "age_band_id", "reserved_places")
        .order_by()
    ]


def load_parent_info(
    client_ids: Iterable[int], first: dt.date, last: dt.date
) -> dict[int, list[ParentInfo]]:
    out: dict[int, list[ParentInfo]] = defaultdict(list)
    ids = list(set(client_ids))
    for i in range(0, len(ids), BATCH):
        for t in (
            ParentTariff.objects.filter(client_id__in=ids[i : i + BATCH], valid_from__lte=last)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=first))
            .order_by("client_id", "-valid_from", "-pk")
        ):
            out[t.client_id].append(
                ParentInfo(
                    valid_from=t.valid_from,
                    valid_until=t.valid_until,
                    income=t.annual_income,
                    dependent_children=t.dependent_children,
                    reduction=Reduction(t.reduction),
                )
            )
    return out


@dataclass
class MonthInput:
    network: Network
    first: dt.date
    last: dt.date
    versions: list[CovenantRules]
    bookings: list[BookingRow]
    slots: list[SlotRow]
    parent_info: dict[int, list[ParentInfo]]
    partner_by_org: dict[int, int]


def load_month(network: Network, month: dt.date) -> MonthInput:
    first, last = month_bounds(month)
    versions = load_rules(network, first, last)
    bookings = load_bookings(network, first, last)
    return MonthInput(
        network=network,
        first=first,
        last=last,
        versions=versions,
        bookings=bookings,
        slots=load_slots(versions, network, first, last),
        parent_info=load_parent_info((b.client_id for b in bookings), first, last),
        partner_by_org=partner_ids_by_org(network),
    )


def compute(
    data: MonthInput,
    *,
    versions: Sequence[CovenantRules] | None = None,
    reclassify_cancellations: bool = False,
) -> engine.MonthCosts:
    return engine.month_costs(
        versions=data.versions if versions is None else versions,
        bookings=data.bookings,
        slots=data.slots,
        parent_info=data.parent_info,
        parts=day_parts(),
        reclassify_cancellations=reclassify_cancellations,
    )


# --- Stored lines as rows, and rows as stored lines ------------------------------------

LINE_FIELDS = (
    "kind",
    "date",
    "day_part",
    "care_site_id",
    "provider_id",
    "covenant_id",
    "unit",
    "quantity",
    "unit_price",
    "charge_percent",
    "gross",
    "parent",
    "amount",
    "booking_id",
    "slot_id",
    "reservation_id",
    "referrer_id",
    "activity_kind",
    "postcode",
    "municipality",
    "corrects_id",
    "description",
)


def stored_rows(lines: Any) -> list[CostRow]:
    """Cost lines from the database (a queryset) as engine rows."""
    out = []
    for v in lines.values_list(*LINE_FIELDS).order_by().iterator(chunk_size=BATCH):
        out.append(
            CostRow(
                kind=engine.CostKind(v[0]),
                date=v[1],
                day_part=v[2],
                care_site_id=v[3],
                provider_id=v[4],
                covenant_id=v[5],
                unit=v[6],
                quantity=v[7],
                unit_price=v[8],
                charge_percent=v[9],
                gross=v[10],
                parent=v[11],
                amount=v[12],
                booking_id=v[13],
                slot_id=v[14],
                reservation_id=v[15],
                referrer_org_id=v[16],
                activity_kind=v[17],
                postcode=v[18],
                municipality=v[19],
                corrects_id=v[20],
                description=v[21],
            )
        )
    return out


def _text(value: str) -> str:
    """Text for PostgreSQL's COPY format (tab-separated, backslash escapes)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        value = value.replace("\r", "\\r")
    return value


def _opt(value: Any) -> str:
    return "\\N" if value is None else str(value)


COPY_COLUMNS = (
    "settlement_id",
    "kind",
    "date",
    "day_part",
    "care_site_id",
    "provider_id",
    "covenant_id",
    "unit",
    "quantity",
    "unit_price",
    "charge_percent",
    "gross",
    "parent",
    "amount",
    "booking_id",
    "slot_id",
    "reservation_id",
    "referrer_id",
    "activity_kind",
    "postcode",
    "municipality",
    "corrects_id",
    "description",
    "created_by_id",
)


def insert_lines(settlement: Settlement, rows: Sequence[CostRow], *, user_id: int | None) -> None:
    """Write cost lines in bulk: PostgreSQL's COPY when we can (a month of 100,000 bookings
    in well under a second), batched INSERTs elsewhere."""
    if connection.vendor == "postgresql" and rows:
        table = CostLine._meta.db_table
        columns = ", ".join(COPY_COLUMNS)
        raw = connection.connection
        assert raw is not None
        head = f"{settlement.pk}\t"
        tail = f"\t{_opt(user_id)}\n"
        with raw.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            chunk: list[str] = []
            for r in rows:
                chunk.append(
                    head
                    + "\t".join(
                        (
                            r.kind.value,
                            str(r.date),
                            r.day_part,
                            _opt(r.care_site_id),
                            str(r.provider_id),
                            _opt(r.covenant_id),
                            r.unit,
                            str(r.quantity),
                            str(r.unit_price),
                            str(r.charge_percent),
                            str(r.gross),
                            str(r.parent),
                            str(r.amount),
                            _opt(r.booking_id),
                            _opt(r.slot_id),
                            _opt(r.reservation_id),
                            _opt(r.referrer_org_id),
                            _text(r.activity_kind),
                            _text(r.postcode),
                            _text(r.municipality),
                            _opt(r.corrects_id),
                            _text(r.description[:300]),
                        )
                    )
                    + tail
                )
                if len(chunk) >= BATCH:
                    copy.write("".join(chunk))
                    chunk = []
            if chunk:
                copy.write("".join(chunk))
        return
    CostLine.objects.bulk_create(
        (
            CostLine(
                settlement=settlement,
                kind=r.kind.value,
                date=r.date,
                day_part=r.day_part,
                care_site_id=r.care_site_id,
                provider_id=r.provider_id,
                covenant_id=r.covenant_id,
                unit=r.unit,
                quantity=r.quantity,
                unit_price=r.unit_price,
                charge_percent=r.charge_percent,
                gross=r.gross,
                parent=r.parent,
                amount=r.amount,
                booking_id=r.booking_id,
                slot_id=r.slot_id,
                reservation_id=r.reservation_id,
                referrer_id=r.referrer_org_id,
                activity_kind=r.activity_kind,
                postcode=r.postcode,
                municipality=r.municipality,
                corrects_id=r.corrects_id,
                description=r.description[:300],
                created_by_id=user_id,
            )
            for r in rows
        ),
        batch_size=1000,
    )


def write_statements(settlement: Settlement, result: engine.SettlementResult) -> None:
    partners = {
        p.pk: p
        for p in Partner.objects.filter(network_id=settlement.network_id).select_related(
            "organisation"
        )
    }
    statements: dict[tuple[int, str], Statement] = {}
    for partner_id, total in result.provider_totals.items():
        gross = result.provider_gross.get(partner_id, Decimal(0))
        statements[(partner_id, StatementSide.PROVIDER)] = Statement(
            settlement=settlement,
            partner=partners[partner_id],
            side=StatementSide.PROVIDER,
            total=total,
            gross=gross,
            parent=gross - total,
        )
    for partner_id, total in result.payer_totals.items():
        statements[(partner_id, StatementSide.PAYER)] = Statement(
            settlement=settlement,
            partner=partners[partner_id],
            side=StatementSide.PAYER,
            total=total,
            gross=Decimal(0),
            parent=Decimal(0),
        )
    exact_provider: dict[int, Decimal] = defaultdict(Decimal)
    exact_payer: dict[int, Decimal] = defaultdict(Decimal)
    for (partner_id, _pd), (acc, _g, _n) in result.provider_details.items():
        exact_provider[partner_id] += acc.amount
    for (partner_id, payer_detail), (acc, _n) in result.payer_details.items():
        exact_payer[partner_id] += acc.amount * payer_detail.percent / 100
    for (partner_id, side), st in statements.items():
        exact = exact_provider if side == StatementSide.PROVIDER else exact_payer
        st.exact = str(exact.get(partner_id, Decimal(0)))[:60]
    Statement.objects.bulk_create(statements.values())
    lines: list[StatementLine] = []
    for position, ((partner_id, pd), (acc, gross, net)) in enumerate(
        sorted(
            result.provider_details.items(),
            key=lambda item: (
                item[0][0],
                item[0][1].adjustment,
                item[0][1].kind,
                item[0][1].care_site_id,
            ),
        )
    ):
        lines.append(
            StatementLine(
                statement=statements[(partner_id, StatementSide.PROVIDER)],
                position=position,
                kind=pd.kind,
                care_site_id=pd.care_site_id or None,
                provider_id=partner_id,
                adjustment=pd.adjustment,
                line_count=acc.lines,
                quantity=acc.quantity,
                gross=gross,
                parent=gross - net,
                amount=net,
            )
        )
    for position, ((partner_id, payer), (acc, amount)) in enumerate(
        sorted(
            result.payer_details.items(),
            key=lambda item: (
                item[0][0],
                item[0][1].adjustment,
                item[0][1].kind,
                item[0][1].provider_id,
                item[0][1].basis,
            ),
        )
    ):
        lines.append(
            StatementLine(
                statement=statements[(partner_id, StatementSide.PAYER)],
                position=position,
                kind=payer.kind,
                provider_id=payer.provider_id or None,
                basis=payer.basis[:120],
                percent=payer.percent,
                adjustment=payer.adjustment,
                line_count=acc.lines,
                quantity=acc.quantity,
                gross=Decimal(0),
                parent=Decimal(0),
                amount=amount,
            )
        )
    StatementLine.objects.bulk_create(lines, batch_size=1000)


def keys_of(covenant: Covenant) -> list[AllocationKey]:
    return list(covenant.allocation_keys.prefetch_related("shares").order_by("valid_from"))
