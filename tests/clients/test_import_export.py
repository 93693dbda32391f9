"""Import of a caseload (CSV, XLSX; all or nothing, row errors) and export of one's own."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from tests.clients.conftest import insz, register
from tests.conftest import World
from zorgbrug.access.models import AuditEvent, User
from zorgbrug.clients import identifiers, imports, views_io
from zorgbrug.clients.models import CareRecipient, Client, Consent
from zorgbrug.jobs.models import Job

pytestmark = pytest.mark.django_db

HEADER = (
    "first_name,last_name,birth_date,gender,insz,phone,email,street,postcode,languages,"
    "labour_status,months_unemployed,income_source,education_level,single_adult_household,"
    "adults_in_household,children_in_household,children,consent_date,share_with_partners,"
    "research_use"
)
AMINA = (
    'Amina,El Idrissi,1990-02-15,female,,0470 12 34 56,,Kerkstraat 1,9900,"ar, nl",'
    'unemployed,14,social_integration,2,yes,1,2,"Yusuf 2021-05-01; Lina 12/09/2023",'
    "2025-11-03,yes,no"
)
FATMA = (
    "Fatma,Kaya,30/07/1985,vrouw,85.07.30-033.28,+32 485 99 88 77,fatma@example.org,"
    "Markt 3,9990,tr,werkzoekend,3,leefloon,ISCED 3,nee,2,1,Emre 2022-01-20,03/11/2025,ja,oui"
)
JEAN = "Jean,Dupont,1988-03-01,homme,,,,Rue Haute 1,9900,fr,inactif,,aucun,,non,,,,2025-11-03,non,1"
GOOD_CSV = "\n".join([HEADER, AMINA, FATMA, JEAN]) + "\n"


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _post_import(
    world: World,
    capture: Any,
    data: bytes,
    name: str = "caseload.csv",
    user: User | None = None,
    **extra: Any,
) -> Any:
    client = world.client_for(user or world.referrer)
    client.cookies["django_language"] = "en"
    form = {
        "file": SimpleUploadedFile(name, data),
        "organisation": str(world.org.pk),
        "consent_confirmed": "on",
        **extra,
    }
    with capture(execute=True):
        response = client.post(reverse("clients:caseload_import"), form)
    return client, response


def _job_page(client: Any, response: Any) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(client.get(response["Location"]).content.decode())


# --- Good files -----------------------------------------------------------------------


def test_good_csv_imports_every_client_with_children_and_paper_consent(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    client, response = _post_import(world, django_capture_on_commit_callbacks, GOOD_CSV.encode())
    html = _job_page(client, response)
    assert 'data-state="done"' in html
    assert "3 clients imported, with 3 children." in html
    amina = Client.objects.get(last_name="El Idrissi")
    assert amina.phone == "+32470123456" and amina.municipality == "Eeklo"
    assert amina.languages == ["ar", "nl"] and amina.education_level == 2
    assert amina.single_adult_household is True and amina.months_unemployed == 14
    assert [(c.first_name, c.birth_date) for c in amina.care_recipients.order_by("birth_date")] == [
        ("Yusuf", dt.date(2021, 5, 1)),
        ("Lina", dt.date(2023, 9, 12)),
    ]
    consent = amina.consents.get()
    assert consent.text_version == "import" and consent.care_support
    assert timezone.localtime(consent.given_at).date() == dt.date(2025, 11, 3)
    assert consent.share_with_partners is True and consent.research_use is False
    assert consent.recorded_by == world.referrer and consent.language == "en"
    assert amina.followers.get().organisation == world.org
    fatma = Client.objects.get(last_name="Kaya")
    assert fatma.insz == "85073003328" and fatma.gender == "female"
    assert fatma.labour_status == "unemployed" and fatma.income_source == "social_integration"
    assert fatma.education_level == 3 and fatma.municipality == "Maldegem"
    assert fatma.consents.get().research_use is True
    jean = Client.objects.get(last_name="Dupont")
    assert (jean.gender, jean.labour_status, jean.income_source) == ("male", "inactive", "none")
    assert jean.adults_in_household == 1 and jean.children_in_household == 0
    events = AuditEvent.objects.filter(action="create", object_type="clients.client")
    assert events.count() == 3 and all(e.detail.get("import") for e in events)
    # The file (personal data) does not stay in the job row.
    job = Job.objects.get()
    assert "data" not in job.params and job.params["filename"] == "caseload.csv"


def test_semicolon_csv_from_excel_with_bom_and_dutch_headers(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    data = (
        "\ufeffVoornaam;Achternaam;Geboortedatum;Geslacht;Postcode;Arbeidsmarktstatus;"
        "Inkomensbron;Kinderen;Datum toestemming;Delen met partners\n"
        'Sara;Peeters;01.02.1995;V;9900;Werkzoekende;Werkloosheidsuitkering;"Noor 2022-03-04";'
        "2025-10-01;Ja\n"
    ).encode()
    client, response = _post_import(world, django_capture_on_commit_callbacks, data)
    assert 'data-state="done"' in _job_page(client, response)
    sara = Client.objects.get(last_name="Peeters")
    assert sara.birth_date == dt.date(1995, 2, 1) and sara.income_source == "unemployment_benefit"
    assert sara.children_in_household == 1  # from the children listed
    assert sara.consents.get().share_with_partners is True


def _xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


XLSX_HEADER = [
    "Voornaam",
    "Achternaam",
    "Geboortedatum",
    "Geslacht",
    "INSZ",
    "Telefoon",
    "Postcode",
    "Labour status",
    "Income source",
    "Education level",
    "Single adult household",
    "Children",
    "Consent date",
    "Research use",
]


def test_good_xlsx_with_date_cells_and_numbers(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    young = insz("050312", "001", born_2000=True)  # starts with 0: a number cell loses it
    data = _xlsx(
        [
            XLSX_HEADER,
            [
                "Lotte",
                "Janssens",
                dt.datetime(2005, 3, 12),
                "vrouw",
                int(young),
                470123456,
                9900,
                "in_training",
                "other",
                3,
                True,
                "Mila 2024-06-30",
                dt.date(2025, 11, 3),
                "no",
            ],
            [None] * len(XLSX_HEADER),  # an empty row in the middle is skipped
            [
                "Karim",
                "Benali",
                32203,  # an Excel day number: 1988-03-01
                "M",
                None,
                "0485 99 88 77",
                "9990",
                "Registered job seeker",
                "Unemployment benefit",
                "ISCED 2: lower secondary",
                "nee",
                None,
                45963,  # 2025-11-02
                "oui",
            ],
        ]
    )
    client, response = _post_import(
        world, django_capture_on_commit_callbacks, data, name="caseload.xlsx"
    )
    assert 'data-state="done"' in _job_page(client, response)
    lotte = Client.objects.get(last_name="Janssens")
    assert lotte.insz == young and lotte.phone == "+32470123456" and lotte.postcode == "9900"
    assert lotte.birth_date == dt.date(2005, 3, 12) and lotte.single_adult_household
    assert lotte.care_recipients.get().first_name == "Mila"
    karim = Client.objects.get(last_name="Benali")
    assert karim.birth_date == dt.date(1988, 3, 1) and karim.gender == "male"
    assert karim.labour_status == "unemployed" and karim.education_level == 2
    consent = karim.consents.get()
    assert timezone.localtime(consent.given_at).date() == dt.date(2025, 11, 2)
    assert consent.research_use is True


# --- Bad rows: nothing is imported ----------------------------------------------------


def test_one_bad_row_imports_nothing_and_reports_row_and_column(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    bad = JEAN.replace("1988-03-01", "2031-03-01")  # a date of birth in the future
    data = _csv(AMINA, FATMA, bad)
    client, response = _post_import(world, django_capture_on_commit_callbacks, data)
    html = _job_page(client, response)
    assert 'data-state="failed"' in html
    assert "Nothing was imported: 1 error(s) in the file." in html
    assert "Row 4, birth_date: A date of birth cannot be in the future." in html
    assert not Client.objects.exists() and not Consent.objects.exists()
    assert not CareRecipient.objects.exists()
    job = Job.objects.get()
    assert job.result["row_errors"] == [
        {
            "row": 4,
            "column": "birth_date",
            "message": "A date of birth cannot be in the future.",
        }
    ]
    assert "data" not in job.params


def test_every_bad_cell_is_reported_with_its_column(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    rows = [
        AMINA.replace("0470 12 34 56", "0470 12"),  # row 2: the service refuses the phone
        FATMA.replace("85.07.30-033.28", "85.07.30-033.29"),  # row 3: INSZ checksum
        JEAN.replace("homme", "robot").replace("2025-11-03", "31/31/2025"),  # row 4: parsing
        AMINA.replace("Amina", "Nora").replace("9900", "1234"),  # row 5: unknown postcode
        JEAN.replace("Jean", "Paul").replace(",,,,2025", ",,,Lea,2025"),  # row 6: no date
    ]
    client, response = _post_import(world, django_capture_on_commit_callbacks, _csv(*rows))
    html = _job_page(client, response)
    assert 'data-state="failed"' in html
    found = {(e["row"], e["column"]) for e in Job.objects.get().result["row_errors"]}
    assert found == {
        (2, "phone"),
        (3, "insz"),
        (4, "gender"),
        (4, "consent_date"),
        (5, "postcode"),
        (6, "children"),
    }
    assert "Row 3, insz: 85.07.30-033.29 is not a valid national register" in html
    assert "Row 4, gender: robot is not one of the accepted values" in html
    assert not Client.objects.exists()


def test_row_errors_are_in_the_language_of_who_uploaded(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    client = world.client_for(world.referrer)
    client.cookies["django_language"] = "fr"
    bad = JEAN.replace("1988-03-01", "2031-03-01")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("clients:caseload_import"),
            {
                "file": SimpleUploadedFile("c.csv", _csv(bad)),
                "organisation": str(world.org.pk),
                "consent_confirmed": "on",
            },
        )
    assert Job.objects.get().language == "fr"
    with translation.override("fr"):
        with pytest.raises(ValidationError) as exc:
            identifiers.validate_birth_date(dt.date(2031, 3, 1))
        expected = str(imports.RowError(2, "birth_date", exc.value.messages[0]))
    html = client.get(response["Location"]).content.decode().replace("&#x27;", "'")
    assert expected in html


def test_a_row_with_a_bad_cell_is_still_checked_for_everything_else(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    # An unreadable child and education level, and a date of birth in the future and a
    # wrong phone number that only the intake's checks find: all four in one report.
    row = (
        AMINA.replace("1990-02-15", "2031-02-15")
        .replace("0470 12 34 56", "0470 12")
        .replace('"Yusuf 2021-05-01; Lina 12/09/2023"', "Yusuf")
        .replace("unemployed,14,social_integration,2,", "unemployed,14,social_integration,ba,")
    )
    client, response = _post_import(world, django_capture_on_commit_callbacks, _csv(row, FATMA))
    _job_page(client, response)
    found = [(e["row"], e["column"]) for e in Job.objects.get().result["row_errors"]]
    assert sorted(found) == [
        (2, "birth_date"),
        (2, "children"),
        (2, "education_level"),
        (2, "phone"),
    ]
    assert not Client.objects.exists()


def test_rows_with_unreadable_cells_are_never_written(world: World) -> None:
    rows, errors = imports.read_caseload(_csv(AMINA.replace("2021-05-01", "soon")), "c.csv")
    assert [r.unreadable for r in rows] == [frozenset({"children"})] and errors
    with pytest.raises(ValueError):
        imports.caseload_import(
            actor=world.referrer, organisation=world.org, network=world.network, rows=rows
        )
    assert not Client.objects.exists()


def test_row_numbers_are_the_spreadsheets_even_with_line_breaks_in_a_cell(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    two_lines = AMINA.replace(
        '"Yusuf 2021-05-01; Lina 12/09/2023"', '"Yusuf 2021-05-01\nLina 12/09/2023"'
    )
    bad = JEAN.replace("1988-03-01", "2031-03-01")
    client, response = _post_import(world, django_capture_on_commit_callbacks, _csv(two_lines, bad))
    _job_page(client, response)
    assert [e["row"] for e in Job.objects.get().result["row_errors"]] == [3]
    rows, _errors = imports.read_caseload(_csv(two_lines, FATMA), "c.csv")
    assert [r.row for r in rows] == [2, 3] and len(rows[0].children) == 2


def test_required_cells_may_not_be_empty(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    row = AMINA.replace("El Idrissi", "").replace("2025-11-03", "")
    client, response = _post_import(world, django_capture_on_commit_callbacks, _csv(row))
    _job_page(client, response)
    errors = Job.objects.get().result["row_errors"]
    assert {(e["row"], e["column"]) for e in errors} == {(2, "last_name"), (2, "consent_date")}
    assert errors[0]["message"] == "This column may not be empty."


# --- Duplicates -----------------------------------------------------------------------


def test_duplicates_within_the_file_are_row_errors(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    same_insz = FATMA.replace("Fatma,Kaya", "Fadma,Kaya-Yilmaz")
    same_person = AMINA.replace("0470 12 34 56", "").replace("Amina", "AMINA")
    client, response = _post_import(
        world, django_capture_on_commit_callbacks, _csv(AMINA, FATMA, same_insz, same_person)
    )
    _job_page(client, response)
    errors = Job.objects.get().result["row_errors"]
    assert [(e["row"], e["column"]) for e in errors] == [
        (4, "insz"),
        (5, "first_name, last_name, birth_date"),
    ]
    assert errors[0]["message"] == "The same INSZ as row 3: each client once."
    assert "row 2" in errors[1]["message"]
    assert not Client.objects.exists()


def test_clients_already_in_the_network_are_row_errors(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    # Amina (name and date of birth) is followed by the importing organisation already;
    # Fatma (INSZ) by another organisation of the network.
    register(world)
    register(
        world,
        actor=world.other_referrer,
        organisation=world.other_org,
        first_name="Fatma",
        last_name="Kaya",
        insz="85073003328",
        birth_date=dt.date(1985, 7, 30),
        phone="",
    )
    before = Client.objects.count()
    client, response = _post_import(world, django_capture_on_commit_callbacks, GOOD_CSV.encode())
    html = _job_page(client, response)
    errors = Job.objects.get().result["row_errors"]
    assert [(e["row"], e["column"]) for e in errors] == [
        (2, "first_name, last_name, birth_date"),
        (3, "insz"),
    ]
    assert errors[0]["message"] == "Your organisation already follows this client."
    assert "already registered in the network" in errors[1]["message"]
    assert "OCMW Noord" not in html  # who follows the other record is not told here
    assert Client.objects.count() == before


# --- Malformed files: refused on the form with a clear message ------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("c.csv", b"", "The submitted file is empty."),  # refused by Django itself
        ("c.csv", b"\xef\xbb\xbf\n", "The file is empty."),
        ("c.csv", HEADER.encode() + b"\n", "The file has no clients: only a header row."),
        ("c.csv", "Prénom,Nom\nÉlodie,Ré\n".encode("cp1252"), "The file is not UTF-8 text."),
        ("c.csv", b"name,date\nAmina,2020-01-01\n", "Unknown column(s): name, date."),
        ("c.csv", b"first_name,last_name,first_name\nA,B,C\n", "first_name appears twice"),
        ("c.csv", b"first_name,last_name\nA,B\n", "Missing column(s): birth_date, gender,"),
        ("c.xlsx", b"%PDF-1.4 not a workbook", "The file is not an Excel workbook (.xlsx)"),
        ("c.xlsx", b"PK\x03\x04 a broken zip", "The file is not an Excel workbook (.xlsx)"),
        ("c.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old xls", "This is an old Excel file"),
        ("c.pdf", b"%PDF-1.4", "Upload a .csv or .xlsx file."),
    ],
)
def test_malformed_files_are_refused_with_a_clear_message(
    world: World,
    django_capture_on_commit_callbacks: Any,
    name: str,
    data: bytes,
    message: str,
) -> None:
    _client, response = _post_import(world, django_capture_on_commit_callbacks, data, name=name)
    assert response.status_code == 400
    html = response.content.decode().replace("&quot;", '"').replace("&#x27;", "'")
    assert message in html
    assert not Job.objects.exists() and not Client.objects.exists()


def test_empty_workbook_and_header_only_workbook(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    for rows, message in [
        ([], "The file is empty."),
        ([XLSX_HEADER], "The file has no clients: only a header row."),
    ]:
        _client, response = _post_import(
            world, django_capture_on_commit_callbacks, _xlsx(rows), name="c.xlsx"
        )
        assert response.status_code == 400
        assert message in response.content.decode()


def test_file_messages_are_in_the_language_of_the_page(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    client = world.client_for(world.referrer)
    client.cookies["django_language"] = "fr"
    response = client.post(
        reverse("clients:caseload_import"),
        {
            "file": SimpleUploadedFile("c.csv", b"name,date\nAmina,2020-01-01\n"),
            "organisation": str(world.org.pk),
            "consent_confirmed": "on",
        },
    )
    assert response.status_code == 400
    with translation.override("fr"), pytest.raises(imports.ImportRefused) as exc:
        imports.inspect_file(b"name,date\nAmina,2020-01-01\n", "c.csv")
    html = response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert exc.value.messages[0] in html


def test_consent_confirmation_is_required(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    client = world.client_for(world.referrer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("clients:caseload_import"),
            {"file": SimpleUploadedFile("c.csv", GOOD_CSV.encode()), "organisation": world.org.pk},
        )
    assert response.status_code == 400
    assert not Job.objects.exists()


@pytest.mark.parametrize("actor_name", ["provider", "researcher", "trainer"])
def test_import_refused_to_roles_without_client_access(world: World, actor_name: str) -> None:
    client = world.client_for(getattr(world, actor_name))
    assert client.get(reverse("clients:caseload_import")).status_code == 403
    response = client.post(
        reverse("clients:caseload_import"),
        {"file": SimpleUploadedFile("c.csv", GOOD_CSV.encode()), "consent_confirmed": "on"},
    )
    assert response.status_code == 403
    assert not Job.objects.exists()


def test_import_for_another_organisation_is_refused(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    _client, response = _post_import(
        world,
        django_capture_on_commit_callbacks,
        GOOD_CSV.encode(),
        user=world.other_referrer,
    )
    assert response.status_code == 400  # world.org is not a choice for them
    assert not Job.objects.exists()


def test_upload_page_documents_the_columns(world: World) -> None:
    client = world.client_for(world.referrer)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("clients:caseload_import")).content.decode()
    for column in imports.COLUMNS:
        assert f"<code>{column.name}</code>" in html
    assert "geboortedatum" in html and "Yusuf 2021-05-01; Lina 12/09/2023" in html
    caseload = client.get(reverse("clients:caseload")).content.decode()
    assert reverse("clients:caseload_import") in caseload
    assert reverse("clients:caseload_export") in caseload


# --- Parsing, without the database ----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-05-01", dt.date(2021, 5, 1)),
        ("01/05/2021", dt.date(2021, 5, 1)),
        ("1/5/2021", dt.date(2021, 5, 1)),
        ("01-05-2021", dt.date(2021, 5, 1)),
        ("01.05.2021", dt.date(2021, 5, 1)),
        ("2021/05/01", dt.date(2021, 5, 1)),
        ("20210501", dt.date(2021, 5, 1)),
        ("2021-05-01 00:00:00", dt.date(2021, 5, 1)),
        (44317, dt.date(2021, 5, 1)),
        (44317.0, dt.date(2021, 5, 1)),
        ("44317", dt.date(2021, 5, 1)),
        (dt.datetime(2021, 5, 1, 0, 0), dt.date(2021, 5, 1)),
    ],
)
def test_common_date_formats(value: Any, expected: dt.date) -> None:
    assert imports.parse_date(value) == expected


@pytest.mark.parametrize(
    "value", ["31/02/2021", "05/01/21", "1990", 1990, "next week", "2021-13-01"]
)
def test_impossible_or_ambiguous_dates_are_refused(value: Any) -> None:
    with pytest.raises(imports.CellError):
        imports.parse_date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", True),
        ("Ja", True),
        ("oui", True),
        ("J", True),
        ("x", True),
        (1, True),
        (True, True),
        ("no", False),
        ("nee", False),
        ("Neen", False),
        ("non", False),
        (0, False),
        (False, False),
    ],
)
def test_yes_and_no_in_dutch_french_and_english(value: Any, expected: bool) -> None:
    assert imports.parse_bool(value) is expected


def test_children_in_one_cell() -> None:
    assert imports.parse_children(
        "Yusuf 2021-05-01; Lina (12/09/2023)\nAnna Maria, 2019-01-02"
    ) == [
        {"kind": "child", "first_name": "Yusuf", "birth_date": dt.date(2021, 5, 1)},
        {"kind": "child", "first_name": "Lina", "birth_date": dt.date(2023, 9, 12)},
        {"kind": "child", "first_name": "Anna Maria", "birth_date": dt.date(2019, 1, 2)},
    ]
    for bad in ["Yusuf", "2021-05-01", "Yusuf 2021-31-12"]:
        with pytest.raises(imports.CellError):
            imports.parse_children(bad)


def test_a_workbook_that_unpacks_to_too_much_is_refused_unopened(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(imports, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(imports.ImportRefused) as exc:
        imports.inspect_file(_xlsx([XLSX_HEADER]), "c.xlsx")
    assert "The workbook is too large" in exc.value.messages[0]


def test_more_rows_than_allowed_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    with pytest.raises(imports.ImportRefused) as exc:
        imports.parse_caseload(GOOD_CSV.encode(), "c.csv")
    assert "more than 2 clients" in exc.value.messages[0]


# --- Export ---------------------------------------------------------------------------


def _export(user: User, world: World, **params: str) -> Any:
    client = world.client_for(user)
    return client.get(reverse("clients:caseload_export"), params)


def _content(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def _csv_rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    text = _content(response).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def two_caseloads(world: World) -> tuple[Client, Client, Client]:
    ours = register(world)
    ours_too = register(
        world,
        first_name="Fatma",
        last_name="Kaya",
        insz="85073003328",
        birth_date=dt.date(1985, 7, 30),
        phone="",
        street='=HYPERLINK("http://evil.example")',
    )
    theirs = register(
        world,
        actor=world.other_referrer,
        organisation=world.other_org,
        first_name="Sofie",
        last_name="Claes",
        birth_date=dt.date(1992, 1, 1),
        phone="",
    )
    return ours, ours_too, theirs


def test_csv_export_contains_exactly_the_users_clients_and_is_audited(
    world: World, two_caseloads: tuple[Client, Client, Client]
) -> None:
    ours, ours_too, _theirs = two_caseloads
    response = _export(world.referrer, world, format="csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    rows = _csv_rows(response)
    assert [r["last_name"] for r in rows] == ["El Idrissi", "Kaya"]
    amina = rows[0]
    assert amina["children"] == "Yusuf 2021-05-01; Lina 2023-09-12"
    assert amina["phone"] == "'+32470123456"  # guarded against formulas
    assert amina["income_source"] == "social_integration" and amina["barrier_score"] == "9"
    assert amina["share_with_partners"] == "yes" and amina["client_id"] == str(ours.pk)
    assert "migration_background" not in amina
    assert rows[1]["street"].startswith("'=HYPERLINK")
    event = AuditEvent.objects.get(action="export")
    assert event.actor == world.referrer and event.network_id == world.network.pk
    assert event.detail["count"] == 2 and event.detail["format"] == "csv"
    assert event.detail["filters"] == {"q": "", "status": "", "organisation": None}
    assert sorted(event.detail["client_ids"]) == sorted([ours.pk, ours_too.pk])


def test_export_uses_the_caseload_filters(
    world: World, two_caseloads: tuple[Client, Client, Client]
) -> None:
    rows = _csv_rows(_export(world.referrer, world, q="kaya", status="active"))
    assert [r["last_name"] for r in rows] == ["Kaya"]
    event = AuditEvent.objects.get(action="export")
    assert event.detail["count"] == 1
    assert event.detail["filters"] == {"q": "kaya", "status": "active", "organisation": None}


def test_xlsx_export(world: World, two_caseloads: tuple[Client, Client, Client]) -> None:
    response = _export(world.referrer, world, format="xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == views_io.XLSX_TYPE
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(imports.EXPORT_COLUMNS)
    names = [r[1] for r in rows[1:]]
    assert names == ["El Idrissi", "Kaya"]
    street = rows[2][imports.EXPORT_COLUMNS.index("street")]
    assert street == '=HYPERLINK("http://evil.example")'  # as text, not a formula
    assert sheet.cell(row=3, column=imports.EXPORT_COLUMNS.index("street") + 1).data_type == "s"
    birth = rows[1][imports.EXPORT_COLUMNS.index("birth_date")]
    assert isinstance(birth, dt.datetime) and birth.date() == dt.date(1990, 2, 15)
    assert AuditEvent.objects.get(action="export").detail["format"] == "xlsx"


def test_an_export_can_be_imported_elsewhere(
    world: World,
    two_caseloads: tuple[Client, Client, Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A client moves to the other network: its referrer imports the export as it is."""
    exported = _content(_export(world.referrer, world))
    client = world.client_for(world.far_referrer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("clients:caseload_import"),
            {
                "file": SimpleUploadedFile("export.csv", exported),
                "organisation": str(world.far_org.pk),
                "consent_confirmed": "on",
            },
        )
    assert 'data-state="done"' in _job_page(client, response), Job.objects.get().result
    moved = Client.objects.filter(network=world.other_network).order_by("last_name")
    assert [c.last_name for c in moved] == ["El Idrissi", "Kaya"]
    assert moved[1].street == '=HYPERLINK("http://evil.example")'
    assert [r.first_name for r in moved[0].care_recipients.order_by("birth_date")] == [
        "Yusuf",
        "Lina",
    ]


@pytest.mark.parametrize("actor_name", ["other_referrer", "far_referrer", "far_coordinator"])
def test_outsiders_cannot_export_others_clients(
    world: World, two_caseloads: tuple[Client, Client, Client], actor_name: str
) -> None:
    actor = getattr(world, actor_name)
    # Even naming the organisation that follows the clients does not widen the export.
    rows = _csv_rows(_export(actor, world, organisation=str(world.org.pk)))
    names = {r["last_name"] for r in rows}
    assert not names & {"El Idrissi", "Kaya"}
    event = AuditEvent.objects.get(action="export", actor=actor)
    assert event.detail["filters"]["organisation"] is None
    assert set(event.detail["client_ids"]).isdisjoint({c.pk for c in two_caseloads[:2]})


@pytest.mark.parametrize("actor_name", ["provider", "researcher", "trainer"])
def test_export_refused_to_roles_without_client_access(
    world: World, two_caseloads: tuple[Client, Client, Client], actor_name: str
) -> None:
    for file_format in ("csv", "xlsx"):
        response = _export(getattr(world, actor_name), world, format=file_format)
        assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


def test_anonymous_export_goes_to_login(world: World) -> None:
    response = world.client_for(None).get(reverse("clients:caseload_export"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_export_queries_do_not_grow_with_the_caseload(
    world: World, django_assert_max_num_queries: Any
) -> None:
    for i in range(3):
        register(world, first_name=f"A{i}", last_name=f"Zed{i}", phone="")
    client = world.client_for(world.referrer)
    with django_assert_max_num_queries(20) as small:
        _content(client.get(reverse("clients:caseload_export")))
    for i in range(3, 30):
        register(world, first_name=f"A{i}", last_name=f"Zed{i}", phone="")
    with django_assert_max_num_queries(len(small.captured_queries)):
        _content(client.get(reverse("clients:caseload_export")))


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Iterator[None]:
    """These tests read the import's messages in English, the source language."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
