"""Covenant versions and their rules: validation, bad input writes nothing, permissions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.covenant.example import MONTH, Example
from zorgbrug.access.models import AuditEvent
from zorgbrug.covenant import services
from zorgbrug.covenant.models import AllocationKey, AllocationShare, Covenant, ParentTariff

D = Decimal
share = services.ShareInput


def snapshot(example: Example) -> tuple[object, ...]:
    return (
        list(Covenant.objects.values()),
        list(AllocationKey.objects.values()),
        list(AllocationShare.objects.values()),
    )


def test_versions_never_overlap(example: Example) -> None:
    before = snapshot(example)
    with pytest.raises(ValidationError) as exc:
        services.covenant_create(
            actor=example.coordinator,
            network=example.network,
            title="Tweede",
            valid_from=dt.date(2027, 1, 1),
        )
    assert "overlap" in str(exc.value)
    assert snapshot(example) == before
    services.covenant_update(
        actor=example.coordinator, covenant=example.covenant, valid_until=dt.date(2026, 12, 31)
    )
    second = services.covenant_create(
        actor=example.coordinator,
        network=example.network,
        title="Tweede",
        valid_from=dt.date(2027, 1, 1),
    )
    assert second.version == 2
    with pytest.raises(ValidationError):
        services.covenant_update(
            actor=example.coordinator, covenant=example.covenant, valid_until=dt.date(2027, 3, 1)
        )


def test_a_new_version_copies_the_rules_and_ends_the_old_one(example: Example) -> None:
    new = services.covenant_new_version(
        actor=example.coordinator, covenant=example.covenant, valid_from=dt.date(2027, 1, 1)
    )
    example.covenant.refresh_from_db()
    assert example.covenant.valid_until == dt.date(2026, 12, 31)
    assert new.valid_until is None and new.version == 2
    assert new.site_tariffs.count() == 3 and new.contribution_years.count() == 1
    key = new.allocation_keys.get()
    assert key.valid_from == dt.date(2027, 1, 1) and key.shares.count() == 5
    assert example.covenant.allocation_keys.get().valid_until == dt.date(2026, 12, 31)
    assert services.covenant_problems(example.covenant) == []
    assert new.late_cancellation_percent == D(50)


def test_shares_must_add_up_to_100_with_a_fallback(example: Example) -> None:
    covenant, p = example.covenant, example.partners
    key = covenant.allocation_keys.get()
    before = snapshot(example)
    for shares, message in [
        ([share("", p["provincie"], D(60)), share("", p["stad"], D(30))], "90"),
        ([share("course", p["provincie"], D(100))], "fallback"),
        (
            [share("", p["provincie"], D(100)), share("", p["provincie"], D(0.5))],
            "twice",
        ),
    ]:
        with pytest.raises(ValidationError, match=message):
            services.allocation_key_save(
                actor=example.coordinator,
                covenant=covenant,
                key=key,
                basis="activity_kind",
                valid_from=covenant.valid_from,
                valid_until=None,
                shares=shares,
            )
    with pytest.raises(ValidationError, match="not a partner"):
        from tests.factories import PartnerFactory

        stranger = PartnerFactory()
        services.allocation_key_save(
            actor=example.coordinator,
            covenant=covenant,
            key=key,
            basis="fixed",
            valid_from=covenant.valid_from,
            valid_until=None,
            shares=[share("", stranger, D(100))],
        )
    assert snapshot(example) == before


def test_keys_never_overlap_and_gaps_are_reported(example: Example) -> None:
    covenant, p = example.covenant, example.partners
    key = covenant.allocation_keys.get()
    fixed = [share("", p["provincie"], D(50)), share("", p["stad"], D(50))]
    with pytest.raises(ValidationError, match="overlap"):
        services.allocation_key_save(
            actor=example.coordinator,
            covenant=covenant,
            basis="fixed",
            valid_from=dt.date(2027, 1, 1),
            valid_until=None,
            shares=fixed,
        )
    # End the first key, leave a gap, then start a second one.
    services.allocation_key_save(
        actor=example.coordinator,
        covenant=covenant,
        key=key,
        basis="fixed",
        valid_from=covenant.valid_from,
        valid_until=dt.date(2026, 10, 15),
        shares=fixed,
    )
    services.allocation_key_save(
        actor=example.coordinator,
        covenant=covenant,
        basis="fixed",
        valid_from=dt.date(2026, 10, 20),
        valid_until=None,
        shares=[share("", p["stad"], D(100))],
    )
    problems = services.covenant_problems(covenant)
    assert any("16/10/2026" in m and "19/10/2026" in m for m in problems)
    # A month that falls in the gap cannot be settled (and nothing is written).
    with pytest.raises(ValidationError, match="No allocation key covers 19/10/2026"):
        services.settlement_calculate(
            actor=example.coordinator, network=example.network, month=MONTH
        )
    from zorgbrug.covenant.models import Settlement

    assert not Settlement.objects.exists()
    with pytest.raises(ValidationError, match="outside"):
        services.allocation_key_save(
            actor=example.coordinator,
            covenant=covenant,
            basis="fixed",
            valid_from=dt.date(2026, 8, 1),
            valid_until=dt.date(2026, 8, 31),
            shares=fixed,
        )


def test_tariffs_and_amounts_are_checked(example: Example) -> None:
    with pytest.raises(ValidationError, match="per day-part or per hour"):
        services.site_tariff_save(
            actor=example.coordinator,
            covenant=example.covenant,
            care_site=example.sites["S"],
            unit="day",
            price=D(30),
            payment="always",
        )
    with pytest.raises(ValidationError, match="minimum day price is above"):
        services.contribution_year_save(
            actor=example.coordinator,
            covenant=example.covenant,
            year=2027,
            min_day_price=D(40),
            max_day_price=D(33),
            income_floor=D(1),
            income_ceiling=D(2),
        )
    with pytest.raises(ValidationError):
        services.covenant_update(
            actor=example.coordinator,
            covenant=example.covenant,
            day_count=[(D(1), D(60)), (D(5), D(100))],
        )
    with pytest.raises(ValidationError):
        services.covenant_update(
            actor=example.coordinator, covenant=example.covenant, late_cancellation_percent=D(120)
        )
    with pytest.raises(ValidationError):
        services.covenant_update(
            actor=example.coordinator, covenant=example.covenant, max_care_days={"job_start": 0}
        )
    example.covenant.refresh_from_db()
    assert example.covenant.late_cancellation_percent == D(50)
    assert not example.covenant.contribution_years.filter(year=2027).exists()


def test_missing_tariff_or_amounts_stop_the_calculation(example: Example) -> None:
    example.covenant.site_tariffs.filter(care_site=example.sites["R"]).delete()
    with pytest.raises(ValidationError, match="no tariff for Regenboog Eeklo"):
        services.settlement_calculate(
            actor=example.coordinator, network=example.network, month=MONTH
        )
    example.covenant.contribution_years.all().delete()
    with pytest.raises(ValidationError, match="amounts for 2026"):
        services.settlement_calculate(
            actor=example.coordinator, network=example.network, month=MONTH
        )


def test_only_coordinators_of_the_network_change_anything(example: Example) -> None:
    from tests.factories import NetworkFactory, OrganisationFactory, PartnerFactory, staff

    far_org = OrganisationFactory()
    PartnerFactory(network=NetworkFactory(), organisation=far_org, is_coordinator=True)
    outsider = staff(far_org, "coordinator")
    for actor in (example.referrer, example.provider_staff, example.researcher, outsider, None):
        with pytest.raises(PermissionDenied):
            services.settlement_calculate(actor=actor, network=example.network, month=MONTH)
        with pytest.raises(PermissionDenied):
            services.covenant_update(actor=actor, covenant=example.covenant, title="x")
        with pytest.raises(PermissionDenied):
            services.covenant_create(
                actor=actor, network=example.network, title="x", valid_from=dt.date(2030, 1, 1)
            )


def test_writes_are_audited(example: Example) -> None:
    services.settlement_calculate(actor=example.coordinator, network=example.network, month=MONTH)
    event = AuditEvent.objects.filter(object_type="covenant.settlement").latest("pk")
    assert event.actor == example.coordinator and event.network_id == example.network.pk
    assert event.detail["total"] == "146.61"


def test_income_attests_follow_each_other(example: Example) -> None:
    client = example.clients["A"]
    services.parent_tariff_set(
        actor=example.referrer,
        client=client,
        valid_from=dt.date(2026, 11, 1),
        annual_income=D(60000),
        dependent_children=2,
    )
    first, second = ParentTariff.objects.filter(client=client).order_by("valid_from")
    assert first.valid_until == dt.date(2026, 10, 31) and second.valid_until is None
    with pytest.raises(ValidationError):
        services.parent_tariff_set(
            actor=example.referrer,
            client=client,
            valid_from=dt.date(2026, 10, 1),
            valid_until=dt.date(2026, 12, 31),
            annual_income=D(1),
        )
    with pytest.raises(PermissionDenied):
        services.parent_tariff_set(
            actor=example.provider_staff, client=client, valid_from=dt.date(2027, 1, 1)
        )
