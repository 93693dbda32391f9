"""The cost engine: from a month's bookings and reserved places to cost lines, and from cost
lines to each partner's share. Plain functions on plain data — no Django, no database —
so that the preview of a rule change runs the very same code on modified rules.

Cost lines (one per booking, one per slot with unused reserved places):
- a booking in a reserved place *paid whether used or not* costs the place price
  (`reserved_used`); the places nobody used that day-part are one `reserved_unused` line;
- a booking in a place *paid when used* costs its tariff (`care`), in a short-notice place
  the short-notice tariff (`short_notice`): per day-part, per billable hour, or per day by
  the day-count rule (the child's hours that day at that site, shared equally by its
  day-parts);
- a late cancellation or an announced absence costs the late-cancellation percentage of
  what the booking would have cost (`late_cancellation`), a no-show the no-show percentage
  (`no_show`); a cancellation in time costs nothing. In places paid whether used or not
  they cost nothing extra: the place is paid anyway.
- The parent contribution (care given only: attended, or confirmed without attendance
  registered) is the parent's day price times the day-count fraction of the child's day,
  never more than the line's cost; the network pays the rest (`amount`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from zorgbrug.covenant import money
from zorgbrug.covenant.money import ZERO, ContributionMode, Payment, Reduction, Tariff, Unit
from zorgbrug.covenant.rules import CovenantRules, KeyRule, rules_on


class CostKind(StrEnum):
    RESERVED_USED = "reserved_used"
    RESERVED_UNUSED = "reserved_unused"
    CARE = "care"
    SHORT_NOTICE = "short_notice"
    LATE_CANCELLATION = "late_cancellation"
    NO_SHOW = "no_show"
    MANUAL = "manual"


# Booking statuses (the care domain's values, repeated here to keep the engine pure).
ATTENDED, CONFIRMED, ABSENT, NO_SHOW = "attended", "confirmed", "absent", "no_show"
CANCELLED, CANCELLED_LATE, PENDING = "cancelled", "cancelled_late", "pending"
CARE_GIVEN = frozenset({ATTENDED, CONFIRMED})
HOLDS_PLACE = frozenset({ATTENDED, CONFIRMED, ABSENT, NO_SHOW})


class BookingRow(NamedTuple):
    """A booking as the engine needs it (a tuple: a month has a hundred thousand)."""

    id: int
    care_site_id: int
    slot_id: int
    recipient_id: int
    client_id: int
    date: dt.date
    day_part: str
    status: str
    uses_vacancy: bool
    referrer_org_id: int | None
    activity_kind: str
    postcode: str
    municipality: str
    arrived_at: dt.time | None = None
    picked_up_at: dt.time | None = None
    cancelled_at: dt.datetime | None = None


@dataclass(frozen=True)
class SlotRow:
    """A capacity slot with places reserved for the network (at a site paid per place)."""

    id: int
    care_site_id: int
    date: dt.date
    day_part: str
    reserved_places: int
    reservation_id: int | None


@dataclass(frozen=True)
class ParentInfo:
    """A family's income attest for the parent contribution, valid over a period."""

    valid_from: dt.date
    valid_until: dt.date | None
    income: Decimal | None
    dependent_children: int = 1
    reduction: Reduction = Reduction.NONE


@dataclass(frozen=True)
class DayParts:
    """The hours each day-part covers (the care domain's windows)."""

    starts: Mapping[str, dt.time]
    hours: Mapping[str, Decimal]
    timezone: ZoneInfo


class CostRow(NamedTuple):
    kind: CostKind
    date: dt.date
    day_part: str
    care_site_id: int | None
    provider_id: int
    covenant_id: int | None
    unit: str
    quantity: Decimal
    unit_price: Decimal
    charge_percent: Decimal
    gross: Decimal
    parent: Decimal
    amount: Decimal
    booking_id: int | None = None
    slot_id: int | None = None
    reservation_id: int | None = None
    referrer_org_id: int | None = None
    activity_kind: str = ""
    postcode: str = ""
    municipality: str = ""
    corrects_id: int | None = None  # an adjustment: the closed period it corrects
    description: str = ""

    def identity(self) -> tuple[Any, ...]:
        """What a line is about; a correction compares lines with the same identity."""
        return (
            self.kind,
            self.date,
            self.day_part,
            self.care_site_id,
            self.booking_id,
            self.slot_id,
            self.referrer_org_id,
            self.activity_kind,
            self.postcode,
            self.municipality,
        )


@dataclass
class Problem:
    code: str  # "no_covenant", "no_tariff", "no_amounts", "no_key", "day_tariff_always"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class MonthCosts:
    rows: list[CostRow]
    problems: list[Problem]


def _problem(problems: dict[tuple[Any, ...], Problem], code: str, **params: Any) -> None:
    key = (code, *sorted(params.items()))
    problems.setdefault(key, Problem(code, params))


def _booking_hours(b: BookingRow, parts: DayParts) -> Decimal:
    if b.status == ATTENDED and b.arrived_at and b.picked_up_at:
        return money.billable_hours(money.minutes_between(b.arrived_at, b.picked_up_at))
    return parts.hours[b.day_part]


def _is_late(b: BookingRow, hours: int, parts: DayParts) -> bool:
    if b.cancelled_at is None:
        return b.status == CANCELLED_LATE
    start = dt.datetime.combine(b.date, parts.starts[b.day_part], tzinfo=parts.timezone)
    return b.cancelled_at > start - dt.timedelta(hours=hours)


def _charge(b: BookingRow, rules: CovenantRules, parts: DayParts, reclassify: bool) -> Any:
    """(kind of line, charge percent) for a booking paid per use, or None."""
    status = b.status
    if reclassify and status in (CANCELLED, CANCELLED_LATE):
        status = CANCELLED_LATE if _is_late(b, rules.free_cancellation_hours, parts) else CANCELLED
    if status in CARE_GIVEN:
        return (CostKind.SHORT_NOTICE if b.uses_vacancy else CostKind.CARE, Decimal(100))
    if status in (ABSENT, CANCELLED_LATE):
        return (CostKind.LATE_CANCELLATION, rules.late_cancellation_percent)
    if status == NO_SHOW:
        return (CostKind.NO_SHOW, rules.no_show_percent)
    return None


def _parent_info(infos: Sequence[ParentInfo], day: dt.date) -> ParentInfo | None:
    for info in infos:
        if info.valid_from <= day and (info.valid_until is None or day <= info.valid_until):
            return info
    return None


def _parent_price(
    rules: CovenantRules,
    parent_info: Mapping[int, Sequence[ParentInfo]],
    b: BookingRow,
    problems: dict[tuple[Any, ...], Problem],
    cache: dict[tuple[int, int, int], Decimal],
) -> Decimal | None:
    """The family's day price on the booking's date (None: amounts missing). Families share
    few distinct attests: the price is computed once per attest and year."""
    amounts = rules.contribution_by_year.get(b.date.year)
    if amounts is None:
        _problem(problems, "no_amounts", year=b.date.year)
        return None
    info = _parent_info(parent_info.get(b.client_id, ()), b.date)
    key = (id(rules), b.date.year, id(info))
    if key not in cache:
        cache[key] = money.parent_day_price(
            rules.contribution_mode,
            amounts,
            income=info.income if info else None,
            dependent_children=info.dependent_children if info else 1,
            reduction=info.reduction if info else Reduction.NONE,
        )
    return cache[key]


def month_costs(
    *,
    versions: Sequence[CovenantRules],
    bookings: Iterable[BookingRow],
    slots: Iterable[SlotRow],
    parent_info: Mapping[int, Sequence[ParentInfo]],
    parts: DayParts,
    reclassify_cancellations: bool = False,
) -> MonthCosts:
    """The cost lines of a month. Problems (no covenant on a date, no tariff for a site,
    no parent-contribution amounts for a year) are collected, not raised."""
    problems: dict[tuple[Any, ...], Problem] = {}
    rows: list[CostRow] = []
    # A month has few dates, sites and families but many bookings: look things up once.
    # (A child's day at a site is counted per tariff: the reserved or the short-notice one.)
    rules_by_date: dict[dt.date, CovenantRules | None] = {}
    day_price: dict[tuple[int, dt.date], Decimal | None] = {}
    price_cache: dict[tuple[int, int, int], Decimal] = {}
    fractions: dict[tuple[int, Decimal], Decimal] = {}
    hundred = Decimal(100)
    # Pass 1: what each booking is charged as, and the children's days for the day rule.
    charged: list[
        tuple[BookingRow, CovenantRules, Tariff, Payment, CostKind, Decimal, Decimal]
    ] = []
    day_hours: dict[tuple[Any, ...], Decimal] = defaultdict(lambda: ZERO)
    day_count: dict[tuple[Any, ...], int] = defaultdict(int)
    care_hours: dict[tuple[int, dt.date, int], Decimal] = defaultdict(lambda: ZERO)
    care_count: dict[tuple[int, dt.date, int], int] = defaultdict(int)
    used_places: dict[int, int] = defaultdict(int)
    for b in bookings:
        if b.status == PENDING or (b.status == CANCELLED and not reclassify_cancellations):
            continue
        if b.date in rules_by_date:
            rules = rules_by_date[b.date]
        else:
            rules = rules_by_date[b.date] = rules_on(versions, b.date)
        if rules is None:
            _problem(problems, "no_covenant", date=b.date)
            continue
        terms = rules.sites.get(b.care_site_id)
        if terms is None:
            _problem(problems, "no_tariff", care_site_id=b.care_site_id)
            continue
        if b.uses_vacancy:
            tariff = rules.short_notice_for(b.care_site_id)
            if tariff is None:
                _problem(problems, "no_short_notice_tariff", care_site_id=b.care_site_id)
                continue
            payment = Payment.USED
        else:
            tariff, payment = terms.tariff, terms.payment
        hours = _booking_hours(b, parts)
        if payment == Payment.ALWAYS:
            if b.status not in HOLDS_PLACE:
                continue  # the place was freed; it is paid as an unused place
            used_places[b.slot_id] += 1
            kind, pct = CostKind.RESERVED_USED, hundred
        else:
            charge = _charge(b, rules, parts, reclassify_cancellations)
            if charge is None:
                continue
            kind, pct = charge
        day_key = (b.recipient_id, b.date, b.care_site_id, b.uses_vacancy)
        day_hours[day_key] += hours
        day_count[day_key] += 1
        if b.status in CARE_GIVEN:
            care_key = (b.recipient_id, b.date, b.care_site_id)
            care_hours[care_key] += hours
            care_count[care_key] += 1
        charged.append((b, rules, tariff, payment, kind, pct, hours))

    # Pass 2: quantities, amounts and parent contributions.
    for b, rules, tariff, payment, kind, pct, hours in charged:
        terms = rules.sites[b.care_site_id]
        if payment == Payment.ALWAYS:
            quantity = money.place_quantity(tariff.unit, window_hours=parts.hours[b.day_part])
        else:
            day_key = (b.recipient_id, b.date, b.care_site_id, b.uses_vacancy)
            quantity = money.booking_quantity(
                tariff.unit,
                booking_hours=hours,
                day_hours=day_hours[day_key],
                bookings_in_day=day_count[day_key],
                bands=rules.day_count,
            )
        gross = money.line_amount(tariff.price, quantity, pct)
        parent = ZERO
        if b.status in CARE_GIVEN and rules.contribution_mode != ContributionMode.FREE:
            price_key = (b.client_id, b.date)
            if price_key not in day_price:
                day_price[price_key] = _parent_price(rules, parent_info, b, problems, price_cache)
            price = day_price[price_key]
            if price:
                care_key = (b.recipient_id, b.date, b.care_site_id)
                fraction_key = (id(rules), care_hours[care_key])
                if fraction_key not in fractions:
                    fractions[fraction_key] = money.day_fraction(
                        care_hours[care_key], rules.day_count
                    )
                fraction = money.EXACT.divide(
                    fractions[fraction_key], Decimal(care_count[care_key])
                )
                parent = min(gross, money.EXACT.multiply(price, fraction))
        rows.append(
            CostRow(
                kind,
                b.date,
                b.day_part,
                b.care_site_id,
                terms.provider_id,
                rules.id,
                tariff.unit,
                quantity,
                tariff.price,
                pct,
                gross,
                parent,
                gross - parent,
                b.id,
                b.slot_id,
                None,
                b.referrer_org_id,
                b.activity_kind,
                b.postcode,
                b.municipality,
            )
        )

    # Pass 3: reserved places paid whether used or not, that nobody used.
    for slot in slots:
        rules = rules_on(versions, slot.date)
        if rules is None:
            continue  # no covenant, no obligation
        terms = rules.sites.get(slot.care_site_id)
        if terms is None or terms.payment != Payment.ALWAYS:
            continue
        unused = slot.reserved_places - used_places.get(slot.id, 0)
        if unused <= 0:
            continue
        if terms.tariff.unit == Unit.DAY:
            _problem(problems, "day_tariff_always", care_site_id=slot.care_site_id)
            continue
        quantity = unused * money.place_quantity(
            terms.tariff.unit, window_hours=parts.hours[slot.day_part]
        )
        gross = money.line_amount(terms.tariff.price, quantity, Decimal(100))
        rows.append(
            CostRow(
                kind=CostKind.RESERVED_UNUSED,
                date=slot.date,
                day_part=slot.day_part,
                care_site_id=slot.care_site_id,
                provider_id=terms.provider_id,
                covenant_id=rules.id,
                unit=terms.tariff.unit,
                quantity=quantity,
                unit_price=terms.tariff.price,
                charge_percent=Decimal(100),
                gross=gross,
                parent=ZERO,
                amount=gross,
                slot_id=slot.id,
                reservation_id=slot.reservation_id,
            )
        )
    return MonthCosts(rows=rows, problems=list(problems.values()))


def corrections(
    *, fresh: Iterable[CostRow], booked: Iterable[CostRow], corrects_id: int
) -> list[CostRow]:
    """Adjustment lines that bring what was settled for a closed period (`booked`: its lines
    and earlier adjustments) to what it costs now (`fresh`). Lines are compared by what they
    are about; a change of who referred or where the client lives reverses the old line and
    adds the new one, so that each is split by the right key."""
    totals: dict[tuple[Any, ...], list[Any]] = {}
    for sign, source in ((1, fresh), (-1, booked)):
        for row in source:
            if row.kind == CostKind.MANUAL:
                continue
            entry = totals.setdefault(row.identity(), [row, ZERO, ZERO, ZERO, ZERO])
            entry[1] += sign * row.quantity
            entry[2] += sign * row.gross
            entry[3] += sign * row.parent
            entry[4] += sign * row.amount
    out = []
    for _identity, (row, quantity, gross, parent, amount) in sorted(
        totals.items(), key=lambda item: repr(item[0])
    ):
        if gross == 0 and parent == 0 and amount == 0:
            continue
        out.append(
            row._replace(
                quantity=quantity,
                gross=gross,
                parent=parent,
                amount=amount,
                corrects_id=corrects_id,
            )
        )
    return out


# --- The split -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderDetail:
    kind: str
    care_site_id: int  # 0 for lines without a site
    adjustment: bool


@dataclass(frozen=True)
class PayerDetail:
    kind: str
    provider_id: int
    basis: str  # why this partner pays: "referrer:12", "fixed", "fallback", ...
    percent: Decimal
    adjustment: bool


@dataclass
class Accumulated:
    lines: int = 0
    quantity: Decimal = ZERO
    gross: Decimal = ZERO
    parent: Decimal = ZERO
    amount: Decimal = ZERO


@dataclass
class SettlementResult:
    exact_total: Decimal
    total: Decimal
    gross_total: Decimal
    parent_total: Decimal
    lines: int
    provider_totals: dict[int, Decimal]
    provider_gross: dict[int, Decimal]
    provider_details: dict[tuple[int, ProviderDetail], tuple[Accumulated, Decimal, Decimal]]
    payer_totals: dict[int, Decimal]
    payer_details: dict[tuple[int, PayerDetail], tuple[Accumulated, Decimal]]
    problems: list[Problem]


def settle(
    rows: Iterable[CostRow],
    *,
    versions: Sequence[CovenantRules],
    partner_by_org: Mapping[int, int],
) -> SettlementResult:
    """Split every cost line among the paying partners by the allocation key in force on
    its date, and round once: each side (providers paid, partners paying) adds up to the
    same total, to the cent, and each partner's detail lines add up to its total."""
    problems: dict[tuple[Any, ...], Problem] = {}
    # Group first: the split is linear, so splitting sums gives exactly what splitting each
    # line would, in a fraction of the time.
    groups: dict[tuple[Any, ...], Accumulated] = defaultdict(Accumulated)
    keys: dict[int, KeyRule] = {}
    for r in rows:
        rules = rules_on(versions, r.date)
        key = rules.key_on(r.date) if rules else None
        if key is None:
            _problem(problems, "no_key", date=r.date)
            continue
        keys[key.id] = key
        g = groups[
            (
                key.id,
                r.kind,
                r.provider_id,
                r.care_site_id or 0,
                r.corrects_id is not None,
                r.booking_id is not None,
                r.referrer_org_id,
                r.activity_kind,
                r.postcode,
                r.municipality,
            )
        ]
        g.lines += 1
        g.quantity += r.quantity
        g.gross += r.gross
        g.parent += r.parent
        g.amount += r.amount

    provider_net: dict[tuple[int, ProviderDetail], Decimal] = {}
    provider_gross_exact: dict[tuple[int, ProviderDetail], Decimal] = {}
    provider_acc: dict[tuple[int, ProviderDetail], Accumulated] = defaultdict(Accumulated)
    payer_exact: dict[tuple[int, PayerDetail], Decimal] = defaultdict(lambda: ZERO)
    payer_acc: dict[tuple[int, PayerDetail], Accumulated] = defaultdict(Accumulated)
    exact_total = gross_total = ZERO
    line_count = 0
    for group, g in groups.items():
        (
            key_id,
            kind,
            provider,
            site,
            adjustment,
            has_booking,
            referrer,
            activity,
            postcode,
            town,
        ) = group
        key = keys[key_id]
        exact_total += g.amount
        gross_total += g.gross
        line_count += g.lines
        pd = (provider, ProviderDetail(str(kind), site, adjustment))
        provider_net[pd] = provider_net.get(pd, ZERO) + g.amount
        provider_gross_exact[pd] = provider_gross_exact.get(pd, ZERO) + g.gross
        acc = provider_acc[pd]
        acc.lines += g.lines
        acc.quantity += g.quantity
        acc.gross += g.gross
        acc.parent += g.parent
        acc.amount += g.amount
        basis, shares = key.resolve(
            has_booking=has_booking,
            referrer_org_id=referrer,
            activity_kind=activity,
            postcode=postcode,
            municipality=town,
            partner_by_org=partner_by_org,
        )
        for partner, pct in shares.items():
            detail = (partner, PayerDetail(str(kind), provider, basis, pct, adjustment))
            payer_exact[detail] += money.EXACT.multiply(g.amount, money.percent(pct))
            pacc = payer_acc[detail]
            pacc.lines += g.lines
            pacc.quantity += g.quantity
            pacc.amount += g.amount

    total = money.to_cents(exact_total)
    gross_rounded = money.to_cents(gross_total)
    provider_totals, provider_rounded = money.apportion_nested(total, provider_net)
    provider_gross, gross_rounded_details = money.apportion_nested(
        gross_rounded, provider_gross_exact
    )
    payer_totals, payer_rounded = money.apportion_nested(total, dict(payer_exact))
    return SettlementResult(
        exact_total=exact_total,
        total=total,
        gross_total=gross_rounded,
        parent_total=gross_rounded - total,
        lines=line_count,
        provider_totals=provider_totals,
        provider_gross=provider_gross,
        provider_details={
            k: (provider_acc[k], gross_rounded_details[k], provider_rounded[k])
            for k in provider_net
        },
        payer_totals=payer_totals,
        payer_details={k: (payer_acc[k], payer_rounded[k]) for k in payer_exact},
        problems=list(problems.values()),
    )
