"""The worked example of docs/covenant.md, to the cent; recalculation, closing, corrections
and a failure half-way."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from tests.covenant.example import MONTH, Example
from zorgbrug.care.models import Booking
from zorgbrug.covenant import calculation, services
from zorgbrug.covenant.models import ClosedPeriod, CostLine, Settlement, Statement

D = Decimal
NOVEMBER = dt.date(2026, 11, 1)


def calculate(example: Example, month: dt.date = MONTH) -> Settlement:
    return services.settlement_calculate(
        actor=example.coordinator, network=example.network, month=month
    )


def totals(settlement: Settlement) -> dict[tuple[str, str], Decimal]:
    return {
        (s.partner.organisation.name, s.side): s.total
        for s in settlement.statements.select_related("partner__organisation")
    }


def lines(settlement: Settlement) -> list[tuple[Any, ...]]:
    return sorted(
        CostLine.objects.filter(settlement=settlement).values_list(
            "kind",
            "date",
            "day_part",
            "booking_id",
            "slot_id",
            "quantity",
            "gross",
            "parent",
            "amount",
        )
    )


# The numbers of docs/covenant.md.
PROVIDERS = {
    ("Kinderdagverblijf 't Kriebeltje", "provider"): D("38.64"),
    ("De Speelboom", "provider"): D("61.44"),
    ("IBO Regenboog", "provider"): D("46.53"),
}
PAYERS = {
    ("VDAB Eeklo", "payer"): D("37.59"),
    ("OCMW Eeklo", "payer"): D("17.86"),
    ("CAW Oost-Vlaanderen", "payer"): D("37.40"),
    ("Provincie Oost-Vlaanderen", "payer"): D("30.90"),
    ("Stad Eeklo", "payer"): D("22.86"),
}


def test_worked_example_to_the_cent(example: Example) -> None:
    settlement = calculate(example)
    assert settlement.total == D("146.61")
    assert settlement.gross_total == D("193.73")
    assert settlement.parent_total == D("47.12")
    assert settlement.line_count == 12
    assert totals(settlement) == {**PROVIDERS, **PAYERS}
    assert sum(PROVIDERS.values()) == sum(PAYERS.values()) == settlement.total

    by_booking = {
        name: CostLine.objects.get(settlement=settlement, booking=booking)
        for name, booking in example.bookings.items()
        if name != "S6"  # cancelled in time: no cost
    }
    expected = {  # kind, quantity, cost, parent contribution, paid by the network
        "K1": ("reserved_used", "1", "12.50", "9.36", "3.14"),
        "K2": ("reserved_used", "1", "12.50", "2.00", "10.50"),
        "K3": ("reserved_used", "1", "12.50", "0", "12.50"),
        "S1": ("care", "0.8", "24.00", "12.48", "11.52"),
        "S2": ("care", "0.8", "24.00", "12.48", "11.52"),
        "S3": ("care", "0.6", "18.00", "3.60", "14.40"),
        "S4": ("late_cancellation", "1", "15.00", "0", "15.00"),
        "S5": ("short_notice", "1", "15.00", "6.00", "9.00"),
        "R1": ("care", "2.75", "11.4125", "1.20", "10.2125"),
        "R2": ("no_show", "6", "24.90", "0", "24.90"),
        "R3": ("late_cancellation", "5.5", "11.4125", "0", "11.4125"),
    }
    for name, (kind, quantity, gross, parent, amount) in expected.items():
        line = by_booking[name]
        assert (line.kind, line.quantity, line.gross, line.parent, line.amount) == (
            kind,
            D(quantity),
            D(gross),
            D(parent),
            D(amount),
        ), name
    assert not CostLine.objects.filter(booking=example.bookings["S6"]).exists()
    unused = CostLine.objects.get(settlement=settlement, kind="reserved_unused")
    assert (unused.date, unused.amount) == (dt.date(2026, 10, 26), D("12.50"))
    assert unused.reservation_id is not None  # traceable to the reserved places

    # Statement details add up to their statement, and OCMW's third line took the cent.
    ocmw = Statement.objects.get(settlement=settlement, partner=example.partners["ocmw"])
    assert sorted(ocmw.lines.values_list("amount", flat=True)) == [D("5.11"), D("5.25"), D("7.50")]
    for statement in settlement.statements.all():
        assert sum(statement.lines.values_list("amount", flat=True)) == statement.total
    regenboog = Statement.objects.get(settlement=settlement, partner=example.partners["regenboog"])
    assert (regenboog.gross, regenboog.parent, regenboog.total) == (
        D("47.73"),
        D("1.20"),
        D("46.53"),
    )


def test_recalculating_gives_the_same_result(example: Example) -> None:
    first = calculate(example)
    before = (lines(first), totals(first), first.total, first.line_count)
    again = calculate(example)
    assert again.pk == first.pk
    assert (lines(again), totals(again), again.total, again.line_count) == before
    assert CostLine.objects.filter(settlement=again).count() == 12


def test_a_failure_half_way_leaves_nothing_half_written(
    example: Example, monkeypatch: pytest.MonkeyPatch
) -> None:
    settlement = calculate(example)
    before = (lines(settlement), totals(settlement), settlement.total)
    line_ids = set(CostLine.objects.values_list("pk", flat=True))
    # The care changes, and the recalculation dies after writing the new lines.
    Booking.objects.filter(pk=example.bookings["R2"].pk).update(status="attended")

    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(calculation, "write_statements", explode)
    with pytest.raises(RuntimeError):
        calculate(example)
    settlement.refresh_from_db()
    assert (lines(settlement), totals(settlement), settlement.total) == before
    assert set(CostLine.objects.values_list("pk", flat=True)) == line_ids

    # A first calculation that fails leaves no month behind at all.
    with pytest.raises(RuntimeError):
        calculate(example, NOVEMBER)
    assert not Settlement.objects.filter(month=NOVEMBER).exists()


def test_a_closed_month_cannot_change(example: Example) -> None:
    settlement = services.settlement_close(actor=example.coordinator, settlement=calculate(example))
    assert settlement.is_closed and settlement.closed_at is not None
    frozen = (lines(settlement), totals(settlement))
    with pytest.raises(ClosedPeriod):
        calculate(example)
    with pytest.raises(ClosedPeriod):
        services.settlement_close(actor=example.coordinator, settlement=settlement)
    with pytest.raises(ClosedPeriod):
        services.adjustment_add(
            actor=example.coordinator,
            settlement=settlement,
            provider=example.partners["speelboom"],
            amount=D(5),
            description="late invoice",
        )
    # Not through the models either.
    line = CostLine.objects.filter(settlement=settlement).first()
    assert line is not None
    line.amount = D(0)
    with pytest.raises(ClosedPeriod):
        line.save()
    with pytest.raises(ClosedPeriod):
        line.delete()
    statement = settlement.statements.first()
    assert statement is not None
    with pytest.raises(ClosedPeriod):
        statement.save()
    settlement.total = D(0)
    with pytest.raises(ClosedPeriod):
        settlement.save()
    with pytest.raises(ClosedPeriod):
        settlement.delete()
    # A month before a closed one can no longer be settled.
    with pytest.raises(ValidationError):
        calculate(example, dt.date(2026, 9, 1))
    # The covenant version that governed it is frozen; a new version can start after it.
    with pytest.raises(ValidationError):
        services.covenant_update(
            actor=example.coordinator, covenant=example.covenant, no_show_percent=D(50)
        )
    with pytest.raises(ValidationError):
        services.covenant_new_version(
            actor=example.coordinator, covenant=example.covenant, valid_from=dt.date(2026, 10, 15)
        )
    new = services.covenant_new_version(
        actor=example.coordinator, covenant=example.covenant, valid_from=NOVEMBER
    )
    assert new.version == 2 and new.valid_from == NOVEMBER
    settlement.refresh_from_db()
    assert (lines(settlement), totals(settlement)) == frozen


def test_closing_waits_for_the_month_to_end_and_for_earlier_months(example: Example) -> None:
    november = calculate(example, NOVEMBER)
    with pytest.raises(ValidationError, match="once it is over"):
        services.settlement_close(actor=example.coordinator, settlement=november)
    october = calculate(example)
    december = calculate(example, dt.date(2026, 12, 1))
    with pytest.raises(ValidationError, match="earlier months"):
        services.settlement_close(actor=example.coordinator, settlement=december)
    # Care registered after the calculation: closing asks for a new calculation first.
    Booking.objects.filter(pk=example.bookings["R2"].pk).update(status="attended")
    with pytest.raises(ValidationError, match="changed since"):
        services.settlement_close(actor=example.coordinator, settlement=october)
    october = calculate(example)
    assert services.settlement_close(actor=example.coordinator, settlement=october).is_closed


def test_corrections_go_into_the_next_open_month(example: Example) -> None:
    october = services.settlement_close(actor=example.coordinator, settlement=calculate(example))
    # After closing, the provider corrects the register: Chloé did come on 15 October.
    Booking.objects.filter(pk=example.bookings["R2"].pk).update(
        status="attended", arrived_at=dt.time(13), picked_up_at=dt.time(18, 30)
    )
    november = calculate(example, NOVEMBER)
    corrections = CostLine.objects.filter(settlement=november, corrects=october)
    # The no-show line is reversed; the care line costs 5.5 h × 4.15 = 22.825, all of it paid
    # by the parent (no income attest: the maximum day price), so the network gets 24.90 back.
    assert sorted(corrections.values_list("kind", "gross", "parent", "amount")) == [
        ("care", D("22.825"), D("22.825"), D(0)),
        ("no_show", D("-24.90"), D(0), D("-24.90")),
    ]
    assert november.total == D("-24.90")
    assert totals(november) == {
        ("IBO Regenboog", "provider"): D("-24.90"),
        ("CAW Oost-Vlaanderen", "payer"): D("-24.90"),
    }
    # Recalculating November gives the same corrections, and October stays as it was.
    again = calculate(example, NOVEMBER)
    assert CostLine.objects.filter(settlement=again, corrects=october).count() == 2
    october.refresh_from_db()
    assert october.total == D("146.61")
    # Once November is closed with them, December does not correct October again.
    Settlement.objects.filter(pk=november.pk).update(
        status="closed", closed_at=dt.datetime.now(dt.UTC)
    )
    december = calculate(example, dt.date(2026, 12, 1))
    assert not CostLine.objects.filter(settlement=december, corrects=october).exists()
