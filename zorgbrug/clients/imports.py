"""Caseload files: importing an existing caseload (CSV or XLSX) and the export's format.

Three layers, each testable on its own:

1. `read_table` turns the bytes of a CSV or XLSX file into a header and rows of cells;
2. `parse_caseload` turns those rows into intake data (typed values, children, consent),
   reporting every bad cell as a `RowError` (row number, column, translated message).
   Neither touches the database;
3. `caseload_import` runs every parsed row through the intake service's own checks
   (`services.client_intake_check`: identifiers, postcode, duplicates, …), refuses
   duplicates within the file, and only when no row has an error writes all of them in one
   transaction with `services.client_intake_write`. One bad row, nothing imported.

The export (`EXPORT_COLUMNS`, `export_values`) writes the same columns, so that an exported
caseload can be imported elsewhere. The columns are documented in docs/import.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zorgbrug.access import scoping as access
from zorgbrug.clients import services
from zorgbrug.clients.models import (
    Client,
    Gender,
    IncomeSource,
    Isced,
    LabourStatus,
    RecipientKind,
)
from zorgbrug.network.models import Network, Organisation

MAX_ROWS = 5000
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # an .xlsx of 5,000 clients unpacks to a few MB
IMPORT_TEXT_VERSION = "import"  # Consent.text_version of consents recorded on paper
ProgressFn = Callable[[int, int, str], None]


# --- The columns ----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | date | bool | int | choice | isced | languages | children | language
    description: Promise
    required: bool = False
    aliases: tuple[str, ...] = ()  # Dutch (and a few French) headers that mean the same
    choices: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("first_name", "text", gettext_lazy("First name."), True, ("voornaam", "prenom")),
    Column(
        "last_name",
        "text",
        gettext_lazy("Last name."),
        True,
        ("achternaam", "familienaam", "naam", "nom"),
    ),
    Column(
        "birth_date",
        "date",
        gettext_lazy("Date of birth, e.g. 1990-02-15 or 15/02/1990."),
        True,
        ("geboortedatum", "date_de_naissance"),
    ),
    Column(
        "gender",
        "choice",
        gettext_lazy("female, male, x (non-binary or other) or unknown; vrouw/man also work."),
        True,
        ("geslacht", "sexe"),
        tuple(Gender.values),
    ),
    Column(
        "insz",
        "text",
        gettext_lazy("National register or BIS number, 11 digits; dots and dashes are fine."),
        False,
        ("rijksregisternummer", "rrn", "insz_nummer", "niss"),
    ),
    Column(
        "phone",
        "text",
        gettext_lazy("Phone number; Belgian numbers may leave out +32."),
        False,
        ("telefoon", "gsm", "telefoonnummer", "telephone"),
    ),
    Column("email", "text", gettext_lazy("E-mail address."), False, ("e_mail", "mail")),
    Column(
        "street",
        "text",
        gettext_lazy("Street and number."),
        False,
        ("straat", "adres", "straat_en_nummer", "rue", "adresse"),
    ),
    Column(
        "postcode",
        "text",
        gettext_lazy("Belgian postcode, e.g. 9900."),
        True,
        ("code_postal",),
    ),
    Column(
        "municipality",
        "text",
        gettext_lazy("Optional: the municipality, when a postcode covers several."),
        False,
        ("gemeente", "woonplaats", "commune"),
    ),
    Column(
        "languages",
        "languages",
        gettext_lazy("Two-letter language codes, most preferred first, e.g. ar, nl."),
        False,
        ("talen", "langues"),
    ),
    Column(
        "needs_interpreter",
        "bool",
        gettext_lazy("yes or no."),
        False,
        ("tolk", "tolk_nodig", "interprete"),
    ),
    Column(
        "labour_status",
        "choice",
        gettext_lazy("unemployed (registered job seeker), inactive, employed or in_training."),
        True,
        ("arbeidsmarktstatus", "statut"),
        tuple(LabourStatus.values),
    ),
    Column(
        "months_unemployed",
        "int",
        gettext_lazy("Months without work, a whole number."),
        False,
        ("maanden_werkloos", "maanden_zonder_werk"),
    ),
    Column(
        "income_source",
        "choice",
        gettext_lazy("unemployment_benefit, social_integration (leefloon), work, other or none."),
        True,
        ("inkomen", "inkomensbron", "revenu"),
        tuple(IncomeSource.values),
    ),
    Column(
        "education_level",
        "isced",
        gettext_lazy("Highest education as an ISCED 2011 level, 0 to 8."),
        False,
        ("opleidingsniveau", "isced", "diploma"),
        tuple(str(v) for v in Isced.values),
    ),
    Column(
        "single_adult_household",
        "bool",
        gettext_lazy("yes when the client is the only adult in the household."),
        False,
        ("alleenstaand", "alleenstaande_ouder", "eenoudergezin"),
    ),
    Column(
        "adults_in_household",
        "int",
        gettext_lazy("Number of adults in the household (1 when empty)."),
        False,
        ("volwassenen", "volwassenen_in_gezin", "aantal_volwassenen"),
    ),
    Column(
        "children_in_household",
        "int",
        gettext_lazy("Number of children in the household (when empty: the children listed)."),
        False,
        ("kinderen_in_gezin", "aantal_kinderen"),
    ),
    Column(
        "children",
        "children",
        gettext_lazy(
            "Children as first name and date of birth, separated by semicolons: "
            "Yusuf 2021-05-01; Lina 12/09/2023."
        ),
        False,
        ("kinderen", "enfants"),
    ),
    Column(
        "consent_date",
        "date",
        gettext_lazy("The date the client signed the consent on paper."),
        True,
        ("datum_toestemming", "toestemming_datum", "toestemming", "date_consentement"),
    ),
    Column(
        "share_with_partners",
        "bool",
        gettext_lazy("yes when the client agreed to share the record with the network's partners."),
        False,
        ("delen_met_partners", "delen", "partage"),
    ),
    Column(
        "research_use",
        "bool",
        gettext_lazy("yes when the client agreed to pseudonymised use for research."),
        False,
        ("onderzoek", "gebruik_voor_onderzoek", "recherche"),
    ),
    Column(
        "consent_language",
        "language",
        gettext_lazy("Language of the consent the client signed: nl, fr, en, ar or tr."),
        False,
        ("taal_toestemming", "langue_consentement"),
    ),
)
COLUMN_BY_NAME = {c.name: c for c in COLUMNS}
REQUIRED = frozenset(c.name for c in COLUMNS if c.required)
# Written by the export, ignored by the import: an export can be imported elsewhere.
EXPORT_ONLY_COLUMNS = (
    "client_id",
    "status",
    "intake_organisation",
    "last_screening_date",
    "barrier_score",
)
EXPORT_COLUMNS = (*(c.name for c in COLUMNS), *EXPORT_ONLY_COLUMNS)


def _plain(text: str) -> str:
    """Lower case without accents, punctuation as spaces: "Geboorte-datum *" -> "geboorte datum"."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


def header_key(text: Any) -> str:
    return _plain(text or "").replace(" ", "_")


def _header_names() -> dict[str, str]:
    """Every accepted header (normalised by `header_key`) -> the column's name."""
    names = {header_key(alias): c.name for c in COLUMNS for alias in (c.name, *c.aliases)}
    names.update({name: name for name in EXPORT_ONLY_COLUMNS})
    return names


_HEADER_NAMES = _header_names()


# --- Errors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """A problem in the file: `row` is the spreadsheet's row number (the header is row 1),
    None for the file as a whole; `column` names the column, or is empty for the row."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if self.column:
            return _("Row %(row)s, %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class ImportRefused(Exception):
    """Nothing was (or will be) imported, for these reasons."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors

    @property
    def messages(self) -> list[str]:
        return [str(e) for e in self.errors]


def _file_error(message: str) -> ImportRefused:
    return ImportRefused([RowError(None, "", message)])


class CellError(ValueError):
    pass


# --- 1. Reading a file into a table (no database) -------------------------------------

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (row number, cells)


def read_table(data: bytes, filename: str) -> Table:
    """The header and the rows of the first sheet of an XLSX file or of a CSV file (UTF-8,
    separated by commas, semicolons or tabs). Raises ImportRefused for unreadable files."""
    if not data or not data.strip():
        raise _file_error(_("The file is empty."))
    if data.startswith(XLS_MAGIC):
        raise _file_error(
            _(
                "This is an old Excel file (.xls). Save it as .xlsx or as CSV UTF-8 and "
                "upload it again."
            )
        )
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    if filename.lower().endswith(".xlsx"):
        raise _file_error(_not_a_workbook())
    return _read_csv(data)


def _not_a_workbook() -> str:
    return _(
        "The file is not an Excel workbook (.xlsx) that can be read. Save it again as .xlsx "
        "or as CSV UTF-8."
    )


def _read_csv(data: bytes) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _file_error(
            _(
                'The file is not UTF-8 text. In Excel, choose "Save as" and "CSV UTF-8", or '
                "upload the .xlsx file itself."
            )
        ) from exc
    if not text.strip():
        raise _file_error(_("The file is empty."))
    if "\x00" in text:
        raise _file_error(_("The file is not a CSV file: it contains binary data."))
    first_line = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader, [])
    except csv.Error as exc:
        raise _file_error(
            _("The file is not a readable CSV file: %(error)s") % {"error": exc}
        ) from exc

    def rows() -> Iterator[tuple[int, list[Any]]]:
        # Rows as a spreadsheet numbers them: a quoted cell may span several lines.
        number = 1
        try:
            for number, cells in enumerate(reader, start=2):
                yield number, list(cells)
        except csv.Error as exc:
            raise _file_error(
                _("Row %(row)s is not readable CSV: %(error)s") % {"row": number + 1, "error": exc}
            ) from exc

    return Table(header=[str(h) for h in header], rows=rows())


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _file_error(_not_a_workbook()) from exc
    if unpacked > MAX_UNPACKED_BYTES:  # a "zip bomb", or far more than 5,000 clients
        raise _file_error(
            _("The workbook is too large: keep it to %(max)s clients per file.") % {"max": MAX_ROWS}
        )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        header = next(values, None)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError, TypeError) as exc:
        raise _file_error(_not_a_workbook()) from exc

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, cells in enumerate(values, start=2):
                yield number, list(cells)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
            raise _file_error(_not_a_workbook()) from exc
        finally:
            workbook.close()

    if header is None:
        workbook.close()
        raise _file_error(_("The file is empty."))
    return Table(header=["" if h is None else str(h) for h in header], rows=rows())


def map_header(header: list[str]) -> dict[int, str]:
    """Column index -> column name; unknown, missing or repeated columns refuse the file."""
    if not any(str(h).strip() for h in header):
        raise _file_error(
            _("The first row must name the columns, e.g. first_name, last_name, birth_date.")
        )
    mapping: dict[int, str] = {}
    unknown: list[str] = []
    for index, raw in enumerate(header):
        text = str(raw).strip()
        if not text:
            continue
        name = _HEADER_NAMES.get(header_key(text))
        if name is None:
            unknown.append(text)
        elif name in mapping.values():
            raise _file_error(_("The column %(column)s appears twice.") % {"column": name})
        else:
            mapping[index] = name
    problems: list[RowError] = []
    if unknown:
        problems.append(
            RowError(
                None,
                "",
                _(
                    "Unknown column(s): %(columns)s. Rename them to the documented columns "
                    "or remove them."
                )
                % {"columns": ", ".join(unknown)},
            )
        )
    missing = [c.name for c in COLUMNS if c.required and c.name not in mapping.values()]
    if missing:
        problems.append(
            RowError(
                None, "", _("Missing column(s): %(columns)s.") % {"columns": ", ".join(missing)}
            )
        )
    if problems:
        raise ImportRefused(problems)
    return mapping


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def inspect_file(data: bytes, filename: str) -> int:
    """A quick look before queueing the import: the file is readable, has the required
    columns and at least one row. Returns the number of the first data row."""
    table = read_table(data, filename)
    map_header(table.header)
    for number, cells in table.rows:
        if not all(_blank(c) for c in cells):
            return number
    raise _file_error(_("The file has no clients: only a header row."))


# --- 2. Parsing cells into intake data (no database) ----------------------------------

_DATE_FORMATS = (
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})$"),
)
# Excel day numbers: from 10000 (1927-05-18), so that a bare year such as 1990 is refused
# rather than read as a day in 1905; up to 9999-12-31.
_EXCEL_SERIAL_MIN, _EXCEL_SERIAL_MAX = 10000, 2958465

YES = {"yes", "y", "ja", "j", "oui", "o", "true", "waar", "vrai", "1", "x"}
NO = {"no", "n", "nee", "neen", "non", "false", "onwaar", "faux", "0"}

# Other spellings (Dutch, French, abbreviations) of the stored values; the labels of the
# choices in nl, fr and en are accepted as well.
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "gender": {
        "female": ("f", "v", "w", "vrouw", "woman", "femme"),
        "male": ("m", "h", "man", "homme"),
        "x": ("other", "anders", "autre"),
        "unknown": ("onbekend", "inconnu"),
    },
    "labour_status": {
        "unemployed": ("werkzoekend", "werkzoekende", "werkloos", "demandeur d emploi", "chomeur"),
        "inactive": ("inactief", "inactif"),
        "employed": ("werkend", "aan het werk", "en emploi"),
        "in_training": ("opleiding", "in opleiding", "in training", "en formation"),
    },
    "income_source": {
        "unemployment_benefit": ("werkloosheidsuitkering", "uitkering", "rva", "chomage"),
        "social_integration": ("leefloon", "ris", "revenu d integration"),
        "work": ("loon", "werk", "salaire"),
        "other": ("ander", "andere", "autre"),
        "none": ("geen", "aucun", "aucune"),
    },
}
CHOICE_ENUMS: dict[str, Any] = {
    "gender": Gender,
    "labour_status": LabourStatus,
    "income_source": IncomeSource,
    "education_level": Isced,
}


def _vocabulary() -> dict[str, dict[str, Any]]:
    """Per choice column: every accepted spelling (value, synonyms, the labels in the staff
    languages) -> the stored value."""
    vocab: dict[str, dict[str, Any]] = {}
    for name, enum in CHOICE_ENUMS.items():
        words: dict[str, Any] = {_plain(str(v)): v for v in enum.values}
        for value, spellings in SYNONYMS.get(name, {}).items():
            words.update({_plain(w): value for w in spellings})
        for language in settings.STAFF_LANGUAGES:
            with translation.override(language):
                for value, label in enum.choices:
                    words.setdefault(_plain(str(label)), value)
        vocab[name] = words
    return vocab


def _number_text(value: Any) -> str:
    """Spreadsheet numbers as text without ".0": 470123456.0 -> "470123456"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_text(value: Any) -> str:
    if _blank(value):
        return ""
    if isinstance(value, bool):
        raise CellError(_("%(value)s is not text.") % {"value": value})
    text = _number_text(value).strip() if isinstance(value, int | float) else str(value).strip()
    # Undo the export's guard against formulas: '=… '+… '-… '@…
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        text = text[1:]
    return text


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _excel_date(value)
    text = str(value).strip()
    text = text.split("T")[0].split(" ")[0]
    if text.isdigit() and len(text) == 8:
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    elif text.isdigit() and len(text) <= 7:
        return _excel_date(int(text))
    for pattern in _DATE_FORMATS:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                break
    raise CellError(
        _("%(value)s is not a date: write it as 2021-05-01 or 01/05/2021.") % {"value": value}
    )


def _excel_date(serial: float) -> dt.date:
    from openpyxl.utils.datetime import from_excel

    if not _EXCEL_SERIAL_MIN <= serial <= _EXCEL_SERIAL_MAX:
        raise CellError(
            _("%(value)s is not a date: write it as 2021-05-01 or 01/05/2021.")
            % {"value": _number_text(serial)}
        )
    result = from_excel(serial)
    return result.date() if isinstance(result, dt.datetime) else result


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    word = _plain(_number_text(value))
    if word in YES:
        return True
    if word in NO:
        return False
    raise CellError(
        _("%(value)s is not yes or no: write yes or no (ja or nee, oui or non).") % {"value": value}
    )


def parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError(_("%(value)s is not a whole number.") % {"value": value})
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    raise CellError(_("%(value)s is not a whole number.") % {"value": value})


def parse_choice(column: Column, value: Any, vocabulary: dict[str, dict[str, Any]]) -> Any:
    if column.kind == "isced":
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = _number_text(value)
        match = re.fullmatch(r"(?:isced\s*)?(\d)", _plain(str(value)))
        if match:
            return int(match[1])
    found = vocabulary[column.name].get(_plain(str(value)))
    if found is None:
        raise CellError(
            _("%(value)s is not one of the accepted values: %(accepted)s.")
            % {"value": value, "accepted": ", ".join(column.choices)}
        )
    return found


def parse_languages(value: Any) -> list[str]:
    return [p.lower() for p in re.split(r"[\s,;/]+", str(value)) if p]


def parse_children(value: Any) -> list[dict[str, Any]]:
    """ "Yusuf 2021-05-01; Lina 12/09/2023" -> two children (line breaks separate too)."""
    children = []
    for part in re.split(r"[;\n]+", str(value)):
        part = part.strip().strip(",")
        if not part:
            continue
        words = re.sub(r"[(),]", " ", part).split()
        if len(words) < 2 or not re.search(r"\d", words[-1]):
            raise CellError(
                _(
                    "%(value)s: write each child as a first name and a date of birth, e.g. "
                    "Yusuf 2021-05-01, and separate children with a semicolon."
                )
                % {"value": part}
            )
        name = " ".join(words[:-1])
        try:
            birth_date = parse_date(words[-1])
        except CellError as exc:
            raise CellError(_("%(name)s: %(message)s") % {"name": name, "message": exc}) from exc
        children.append({"kind": RecipientKind.CHILD, "first_name": name, "birth_date": birth_date})
    return children


def parse_consent_language(value: Any) -> str:
    code = _plain(str(value))
    codes = [code for code, _label in settings.LANGUAGES]
    if code not in codes:
        raise CellError(
            _("%(value)s is not a language of the consent text: use one of %(codes)s.")
            % {"value": value, "codes": ", ".join(codes)}
        )
    return code


@dataclass
class CaseloadRow:
    """One client of the file, as the intake service takes it.

    `unreadable` names optional columns whose cells could not be read: such a row is left
    without them and still checked, so that the report lists its other errors too, but it
    is never written."""

    row: int  # the row number in the spreadsheet, the header being row 1
    client: dict[str, Any]
    children: list[dict[str, Any]]
    consent_date: dt.date
    share_with_partners: bool = False
    research_use: bool = False
    consent_language: str = "nl"
    unreadable: frozenset[str] = frozenset()

    def consent(self) -> dict[str, Any]:
        given_at = timezone.make_aware(dt.datetime.combine(self.consent_date, dt.time.min))
        return {
            "care_support": True,  # confirmed for every client on the upload form
            "share_with_partners": self.share_with_partners,
            "research_use": self.research_use,
            "special_category": False,
            "language": self.consent_language,
            "text_version": IMPORT_TEXT_VERSION,
            "given_at": given_at,
        }


def parse_caseload(
    data: bytes, filename: str, *, consent_language: str = "nl"
) -> list[CaseloadRow]:
    """Every client of the file, or ImportRefused listing every bad cell of every row."""
    rows, errors = read_caseload(data, filename, consent_language=consent_language)
    if errors:
        raise ImportRefused(errors)
    return rows


def read_caseload(
    data: bytes, filename: str, *, consent_language: str = "nl"
) -> tuple[list[CaseloadRow], list[RowError]]:
    """The rows that could be read, and the bad cells of the others: the import checks the
    good rows too, so that the report lists every error at once. A file that cannot be read
    at all raises ImportRefused."""
    table = read_table(data, filename)
    mapping = map_header(table.header)
    vocabulary = _vocabulary()
    rows: list[CaseloadRow] = []
    errors: list[RowError] = []
    for number, cells in table.rows:
        if all(_blank(c) for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise _file_error(
                _("The file has more than %(max)s clients: split it into smaller files.")
                % {"max": MAX_ROWS}
            )
        row, row_errors = _parse_row(number, cells, mapping, vocabulary, consent_language)
        errors.extend(row_errors)
        if row is not None:
            rows.append(row)
    if not rows and not errors:
        raise _file_error(_("The file has no clients: only a header row."))
    return rows, errors


def _parse_row(
    number: int,
    cells: list[Any],
    mapping: dict[int, str],
    vocabulary: dict[str, dict[str, Any]],
    consent_language: str,
) -> tuple[CaseloadRow | None, list[RowError]]:
    errors: list[RowError] = []
    values: dict[str, Any] = {}
    for index, cell in enumerate(cells):
        name = mapping.get(index)
        if name is None:
            if not _blank(cell):
                errors.append(
                    RowError(number, "", _("There is a value in a column without a name."))
                )
            continue
        column = COLUMN_BY_NAME.get(name)
        if column is None:  # written by the export, not imported
            continue
        if _blank(cell):
            continue
        try:
            values[name] = _parse_cell(column, cell, vocabulary)
        except CellError as exc:
            errors.append(RowError(number, name, str(exc)))
    for column in COLUMNS:
        if (
            column.required
            and column.name not in values
            and not any(e.column == column.name for e in errors)
        ):
            errors.append(RowError(number, column.name, _("This column may not be empty.")))
    if any(e.column in REQUIRED for e in errors):
        return None, errors  # the intake cannot be checked without these
    client = {
        name: values[name]
        for name in services.CLIENT_FIELDS
        if name in values and name in COLUMN_BY_NAME
    }
    children = values.get("children", [])
    if "children_in_household" not in client and children:
        client["children_in_household"] = len(children)
    return (
        CaseloadRow(
            row=number,
            client=client,
            children=children,
            consent_date=values["consent_date"],
            share_with_partners=values.get("share_with_partners", False),
            research_use=values.get("research_use", False),
            consent_language=values.get("consent_language", consent_language),
            unreadable=frozenset(e.column for e in errors),
        ),
        errors,
    )


def _parse_cell(column: Column, cell: Any, vocabulary: dict[str, dict[str, Any]]) -> Any:
    kind = column.kind
    if kind == "date":
        return parse_date(cell)
    if kind == "bool":
        return parse_bool(cell)
    if kind == "int":
        return parse_int(cell)
    if kind in ("choice", "isced"):
        return parse_choice(column, cell, vocabulary)
    if kind == "languages":
        return parse_languages(cell)
    if kind == "children":
        return parse_children(cell)
    if kind == "language":
        return parse_consent_language(cell)
    text = parse_text(cell)
    if column.name == "insz" and isinstance(cell, int | float) and text.isdigit():
        text = text.zfill(11)  # a spreadsheet number loses the leading 0 of people born 200x
    return text


# --- 3. The import: the intake service's checks on every row, then all rows at once ---

# Service error keys that are not column names.
_ERROR_COLUMNS = {
    "given_at": "consent_date",
    "care_recipients": "children",
    "care_support": "",
    NON_FIELD_ERRORS: "",
}


def _service_errors(number: int, exc: ValidationError) -> list[RowError]:
    if hasattr(exc, "error_dict"):
        return [
            RowError(number, _ERROR_COLUMNS.get(name, name), message)
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    return [RowError(number, "", message) for message in exc.messages]


def _duplicate_error(number: int, exc: services.DuplicateClient) -> RowError:
    match = exc.duplicates[0] if exc.duplicates else None
    on_insz = match is not None and match.matched_on == "insz"
    column = "insz" if on_insz else "first_name, last_name, birth_date"
    if match is not None and match.already_following:
        message = _("Your organisation already follows this client.")
    elif on_insz:
        message = _(
            "A client with this INSZ is already registered in the network. Leave the row out "
            "and register the client with a new intake, which offers to link to the record."
        )
    else:
        message = _(
            "A client with this name and date of birth is already registered in the network. "
            "Leave the row out and register the client with a new intake, which offers to "
            "link to the record."
        )
    return RowError(number, column, message)


def caseload_import(
    *,
    actor: Any,
    organisation: Organisation,
    network: Network,
    rows: Iterable[CaseloadRow],
    errors: Iterable[RowError] = (),
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Register every client of the file for `organisation`, all or nothing.

    Each row gets exactly the intake's checks; duplicates within the file, or with records
    already in the network, are row errors. `errors` are those found while reading the file
    (`read_caseload`): with any of them nothing is written either. Raises ImportRefused with
    every error by row, or PermissionDenied when the actor may not register clients for the
    organisation.
    """
    items = list(rows)
    if organisation.pk not in access.client_organisation_ids(actor):
        raise PermissionDenied
    if network not in services.referral_networks(organisation):
        raise PermissionDenied
    total = len(items)

    def report(done: int, message: str) -> None:
        if progress is not None:
            # Checking and saving count as half of the work each.
            progress(done, 2 * total, message)

    plans: list[tuple[CaseloadRow, services.IntakePlan]] = []
    problems = list(errors)
    seen_insz: dict[str, int] = {}
    seen_person: dict[tuple[str, dt.date], int] = {}
    for done, row in enumerate(items, start=1):
        try:
            plan = services.client_intake_check(
                actor=actor,
                organisation=organisation,
                network=network,
                client=dict(row.client),
                consent=row.consent(),
                recipients=[dict(c) for c in row.children],
            )
        except services.DuplicateClient as exc:
            problems.append(_duplicate_error(row.row, exc))
        except ValidationError as exc:
            problems.extend(
                e for e in _service_errors(row.row, exc) if e.column not in row.unreadable
            )
        else:
            record = plan.record
            person = (record.search_name, record.birth_date)
            earlier = seen_insz.get(record.insz) if record.insz else None
            if earlier is not None:
                problems.append(
                    RowError(
                        row.row,
                        "insz",
                        _("The same INSZ as row %(row)s: each client once.") % {"row": earlier},
                    )
                )
            elif person in seen_person:
                problems.append(
                    RowError(
                        row.row,
                        "first_name, last_name, birth_date",
                        _("The same name and date of birth as row %(row)s: each client once.")
                        % {"row": seen_person[person]},
                    )
                )
            else:
                if record.insz:
                    seen_insz[record.insz] = row.row
                seen_person[person] = row.row
                plans.append((row, plan))
        if done % 25 == 0 or done == total:
            report(done, _("Checked %(done)s of %(total)s rows") % {"done": done, "total": total})
    if not problems and any(row.unreadable for row in items):
        raise ValueError("rows with unreadable cells come with their errors")
    if problems:
        raise ImportRefused(sorted(problems, key=lambda e: e.row or 0))
    report(total, _("Saving %(total)s clients") % {"total": total})
    children = 0
    with transaction.atomic():
        for row, plan in plans:
            try:
                services.client_intake_write(
                    actor=actor, organisation=organisation, plan=plan, audit_detail={"import": True}
                )
            except IntegrityError as exc:
                raise ImportRefused(
                    [
                        RowError(
                            row.row,
                            "insz",
                            _("A client with this INSZ was registered meanwhile: try again."),
                        )
                    ]
                ) from exc
            children += len(plan.recipients)
    access.forget(actor)
    report(
        2 * total,
        _("%(clients)s clients imported, with %(children)s children.")
        % {"clients": total, "children": children},
    )
    return {"imported": total, "children": children}


# --- The export's format ----------------------------------------------------------------


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def export_values(client: Client) -> list[Any]:
    """One client as a row of EXPORT_COLUMNS; expects the prefetches of
    `selectors.caseload_for_export` (`export_children`, `active_consents`)."""
    consents = getattr(client, "active_consents", [])
    consent = consents[0] if consents else None
    children = "; ".join(
        f"{c.first_name} {c.birth_date.isoformat()}" for c in getattr(client, "export_children", [])
    )
    given = timezone.localtime(consent.given_at).date() if consent else None
    values: dict[str, Any] = {
        "first_name": client.first_name,
        "last_name": client.last_name,
        "birth_date": client.birth_date,
        "gender": client.gender,
        "insz": client.insz,
        "phone": client.phone,
        "email": client.email,
        "street": client.street,
        "postcode": client.postcode,
        "municipality": client.municipality,
        "languages": ", ".join(client.languages or []),
        "needs_interpreter": _yes_no(client.needs_interpreter),
        "labour_status": client.labour_status,
        "months_unemployed": client.months_unemployed,
        "income_source": client.income_source,
        "education_level": client.education_level,
        "single_adult_household": _yes_no(client.single_adult_household),
        "adults_in_household": client.adults_in_household,
        "children_in_household": client.children_in_household,
        "children": children,
        "consent_date": given,
        "share_with_partners": _yes_no(consent.share_with_partners if consent else None),
        "research_use": _yes_no(consent.research_use if consent else None),
        "consent_language": consent.language if consent else "",
        "client_id": client.pk,
        "status": client.status,
        "intake_organisation": client.intake_organisation.name,
        "last_screening_date": getattr(client, "last_screening_date", None),
        "barrier_score": getattr(client, "last_barrier_score", None),
    }
    return [values[name] for name in EXPORT_COLUMNS]


def csv_safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (the import
    takes it off again)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
