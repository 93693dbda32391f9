"""Network writes: validation, bad input that changes nothing, audit."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from tests.conftest import World
from zorgbrug.access.models import AuditEvent
from zorgbrug.network import services
from zorgbrug.network.models import Organisation, Partner, Postcode, Site
from zorgbrug.network.validators import normalise_kbo

pytestmark = pytest.mark.django_db

SHARED_POSTCODES = Path(__file__).resolve().parents[2] / "shared" / "data" / "belgian-postcodes.csv"


@pytest.mark.parametrize("raw", ["0203.201.340", "BE0203201340", "203201340", "0203 201 340"])
def test_kbo_numbers_are_normalised(raw: str) -> None:
    assert normalise_kbo(raw) == "0203201340"


@pytest.mark.parametrize("raw", ["0203.201.341", "123", "abcdefghij", "02032013400"])
def test_invalid_kbo_numbers_are_refused_with_translated_message(raw: str) -> None:
    messages = {}
    for language in ("nl", "en", "fr"):
        with translation.override(language):
            with pytest.raises(ValidationError) as exc:
                normalise_kbo(raw)
            messages[language] = exc.value.messages[0]
    assert "enterprise number" in messages["en"]
    assert "ondernemingsnummer" in messages["nl"]
    assert "entreprise" in messages["fr"]


def test_organisation_create_with_invalid_kbo_changes_nothing(world: World) -> None:
    before = (Organisation.objects.count(), Partner.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError):
        services.organisation_create(
            actor=world.coordinator,
            network=world.network,
            name="Foute KBO",
            kind="employer",
            roles=["referrer"],
            kbo_number="0123.456.789",
        )
    after = (Organisation.objects.count(), Partner.objects.count(), AuditEvent.objects.count())
    assert before == after


def test_organisation_create_by_coordinator_registers_partner_and_audits(world: World) -> None:
    org = services.organisation_create(
        actor=world.coordinator,
        network=world.network,
        name="Uitzendbureau",
        kind="temp_agency",
        roles=["referrer", "funder"],
        kbo_number="0203201340",
    )
    partner = Partner.objects.get(organisation=org, network=world.network)
    assert partner.is_referrer and partner.is_funder and not partner.is_coordinator
    event = AuditEvent.objects.get(object_type="network.organisation", object_id=str(org.pk))
    assert event.actor == world.coordinator and event.action == "create"


def test_duplicate_kbo_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        services.organisation_create(
            actor=world.coordinator,
            network=world.network,
            name="Dubbel",
            kind="employer",
            roles=["referrer"],
            kbo_number=world.org.kbo_number,
        )
    assert "kbo_number" in exc.value.message_dict


def test_non_coordinator_cannot_create_organisations(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.organisation_create(
            actor=world.referrer,
            network=world.network,
            name="X",
            kind="employer",
            roles=["referrer"],
        )


def test_network_keeps_at_least_one_coordinator(world: World) -> None:
    with pytest.raises(ValidationError):
        services.partner_set_roles(
            actor=world.coordinator,
            network=world.network,
            organisation=world.coordinator_org,
            roles=["referrer"],
        )
    assert Partner.objects.get(organisation=world.coordinator_org).is_coordinator


def test_site_gets_coordinates_from_postcode(world: World) -> None:
    site = services.site_create(
        actor=world.coordinator,
        organisation=world.org,
        name="Maldegem",
        street="Markt 1",
        postcode="9990",
    )
    assert site.municipality == "Maldegem"
    assert site.latitude == Decimal("51.209082")


def test_unknown_postcode_is_refused_and_nothing_saved(world: World) -> None:
    count = Site.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.site_create(
            actor=world.coordinator,
            organisation=world.org,
            name="Nowhere",
            street="Straat 1",
            postcode="9999",
        )
    assert "Unknown postcode 9999" in exc.value.message_dict["postcode"][0]
    assert Site.objects.count() == count


def test_site_form_shows_translated_postcode_error(world: World) -> None:
    client = world.client_for(world.coordinator)
    url = reverse("network:site_create", args=[world.org.pk])
    count = Site.objects.count()
    client.cookies["django_language"] = "fr"
    response = client.post(url, {"name": "X", "street": "Rue 1", "postcode": "9999"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "9999" in html
    assert Site.objects.count() == count
    client.cookies["django_language"] = "en"
    html_en = client.post(
        url, {"name": "X", "street": "Rue 1", "postcode": "9999"}
    ).content.decode()
    assert "Unknown postcode 9999" in html_en
    assert "Unknown postcode 9999" not in html  # French page carries the French message


def test_organisation_form_invalid_kbo_returns_400_and_changes_nothing(world: World) -> None:
    client = world.client_for(world.coordinator)
    count = Organisation.objects.count()
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("network:organisation_create", args=["noord"]),
        {"name": "Nieuw", "kind": "employer", "roles": ["referrer"], "kbo_number": "0123.456.789"},
    )
    assert response.status_code == 400
    assert "is not a valid enterprise number" in response.content.decode()
    assert Organisation.objects.count() == count


def test_organisation_form_valid_creates_and_redirects(world: World) -> None:
    client = world.client_for(world.coordinator)
    response = client.post(
        reverse("network:organisation_create", args=["noord"]),
        {"name": "Nieuw", "kind": "employer", "roles": ["referrer"], "kbo_number": "0203.201.340"},
    )
    org = Organisation.objects.get(name="Nieuw")
    assert response.status_code == 302
    assert response["Location"] == reverse("network:organisation_detail", args=[org.pk])


# --- Postcode files -------------------------------------------------------------------

GOOD_CSV = "postal,name,lat,lng\n9000,Gent,51.0543,3.7174\n2000,Antwerpen,51.2194,4.4025\n"


def test_postcode_import_loads_and_updates() -> None:
    result = services.postcodes_import(data=GOOD_CSV)
    assert result == {"created": 2, "updated": 0, "rows": 2}
    again = services.postcodes_import(data=GOOD_CSV.replace("51.0543", "51.0500"))
    assert again == {"created": 0, "updated": 1, "rows": 2}
    assert Postcode.objects.get(code="9000").latitude == Decimal("51.050000")


@pytest.mark.parametrize(
    ("csv_text", "expected"),
    [
        ("postal,name\n9000,Gent\n", "missing column"),
        ("postal,name,lat,lng\n9000,Gent,north,3.7\n", "line 2"),
        ("postal,name,lat,lng\n9000,Gent,51.0,3.7\n900,Nergens,51.0,3.7\n", "line 3"),
        ("postal,name,lat,lng\n9000,Gent,951.0,3.7\n", "latitude"),
        ("postal,name,lat,lng\n9000,,51.0,3.7\n", "place name"),
        ("postal,name,lat,lng\n9000,Gent,51.0,3.7\n9000,Gent,51.1,3.7\n", "twice"),
        ("postal,name,lat,lng\n", "no rows"),
        ("postal,name,lat,lng\n9000,Gent,51.0,3.7,extra\n", "too many fields"),
    ],
)
def test_malformed_postcode_file_loads_nothing(csv_text: str, expected: str) -> None:
    from zorgbrug.network.postcodes import PostcodeFileError

    with translation.override("en"):
        with pytest.raises(PostcodeFileError) as exc:
            services.postcodes_import(data=csv_text)
        messages = [str(e) for e in exc.value.errors]
    assert any(expected in m for m in messages), messages
    assert Postcode.objects.count() == 0


def test_postcode_file_with_merged_codes_and_harmless_repeats() -> None:
    data = (
        'postal,name,lat,lng\n"2870,2890",Puurs-Sint-Amands,51.05,4.25\n'
        "9000,Gent,51.0,3.7\n9000,Gent,51.0,3.7\n"
    )
    assert services.postcodes_import(data=data)["created"] == 3
    assert set(Postcode.objects.values_list("code", flat=True)) == {"2870", "2890", "9000"}


def test_postcode_file_not_utf8_is_refused() -> None:
    from zorgbrug.network.postcodes import PostcodeFileError

    with pytest.raises(PostcodeFileError):
        services.postcodes_import(data="postal,name,lat,lng\n9000,Liège,1,2\n".encode("utf-16"))


def test_one_bad_row_among_many_loads_nothing() -> None:
    rows = [f"{1000 + i},Place {i},50.{i:04d},4.{i:04d}" for i in range(300)]
    rows[150] = "1150,Broken,not-a-number,4.0"
    from zorgbrug.network.postcodes import PostcodeFileError

    with pytest.raises(PostcodeFileError) as exc:
        services.postcodes_import(data="postal,name,lat,lng\n" + "\n".join(rows))
    assert [e.line for e in exc.value.errors] == [152]
    assert Postcode.objects.count() == 0


def test_load_postcodes_command_reports_row_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("postal,name,lat,lng\n9000,Gent,x,3.7\n")
    with translation.override("en"), pytest.raises(CommandError) as exc:
        call_command("load_postcodes", str(bad))
    assert "line 2" in str(exc.value)
    assert Postcode.objects.count() == 0
    with pytest.raises(CommandError):
        call_command("load_postcodes", str(tmp_path / "missing.csv"))


@pytest.mark.skipif(not SHARED_POSTCODES.exists(), reason="shared postcode data not present")
def test_load_postcodes_command_loads_the_shared_belgian_file() -> None:
    call_command("load_postcodes", str(SHARED_POSTCODES))
    assert Postcode.objects.count() > 2500
    eeklo = Postcode.objects.get(code="9900", name="Eeklo")
    assert abs(eeklo.latitude - Decimal("51.18")) < 1


def test_postcode_upload_page_runs_a_job_and_shows_row_errors(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = world.client_for(world.coordinator)
    client.cookies["django_language"] = "en"
    upload = SimpleUploadedFile("pc.csv", b"postal,name,lat,lng\n9000,Gent,x,3.7\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("network:postcode_import"), {"file": upload})
    html = client.get(response["Location"]).content.decode()
    assert 'data-state="failed"' in html
    assert "line 2" in html
    assert Postcode.objects.filter(code="9000").count() == 0
    upload = SimpleUploadedFile("pc.csv", GOOD_CSV.encode())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("network:postcode_import"), {"file": upload})
    assert 'data-state="done"' in client.get(response["Location"]).content.decode()
    assert Postcode.objects.filter(code="9000").exists()
    # Another user cannot follow someone else's job.
    other = world.client_for(world.far_coordinator).get(response["Location"])
    assert other.status_code == 404


def test_postcode_upload_refused_for_non_coordinators(world: World) -> None:
    response = world.client_for(world.referrer).get(reverse("network:postcode_import"))
    assert response.status_code == 403
