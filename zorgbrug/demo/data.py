"""The demo region: two networks drawn from the seed projects. Names are fictitious."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any


def kbo(first8: int) -> str:
    """A valid (fictitious) enterprise number from 8 leading digits."""
    return f"{first8:08d}{97 - first8 % 97:02d}"


# code, place, lat, lng, province — the municipalities of the demo networks.
POSTCODES = [
    ("9900", "Eeklo", D("51.185272"), D("3.563890"), "Oost-Vlaanderen"),
    ("9960", "Assenede", D("51.226981"), D("3.751016"), "Oost-Vlaanderen"),
    ("9970", "Kaprijke", D("51.223075"), D("3.618606"), "Oost-Vlaanderen"),
    ("9980", "Sint-Laureins", D("51.236169"), D("3.532942"), "Oost-Vlaanderen"),
    ("9990", "Maldegem", D("51.209082"), D("3.448661"), "Oost-Vlaanderen"),
    ("9060", "Zelzate", D("51.198711"), D("3.811977"), "Oost-Vlaanderen"),
    ("3550", "Heusden-Zolder", D("51.038482"), D("5.290413"), "Limburg"),
    ("3550", "Heusden", D("51.035410"), D("5.283057"), "Limburg"),
    ("3550", "Zolder", D("51.022954"), D("5.309732"), "Limburg"),
    ("3580", "Beringen", D("51.047337"), D("5.221477"), "Limburg"),
    ("3530", "Houthalen-Helchteren", D("51.031242"), D("5.376545"), "Limburg"),
]

NETWORKS = [
    {
        "slug": "noord-meetjesland",
        "name": "Noord-Meetjesland",
        "region": "Eeklo, Assenede, Kaprijke, Maldegem, Sint-Laureins, Zelzate",
        "description": (
            "Zorgondersteuning als brug naar de arbeidsmarkt: de partners van de Werkwinkel "
            "Noord-Meetjesland nemen tijdelijk de zorgtaak van werkzoekenden over."
        ),
    },
    {
        "slug": "heusden-zolder",
        "name": "Heusden-Zolder (ONKI)",
        "region": "Heusden-Zolder, Beringen, Houthalen-Helchteren",
        "description": (
            "ONKI-zorgcoöperatief: flexibele, occasionele, laagdrempelige en interculturele "
            "kinderopvang met vormingsmodules, oriëntering en doorstroming naar werk."
        ),
    },
]

# key, name, kbo seed, kind, provider kind, {network slug: roles}, sites [(name, street, pc, place)]
ORGANISATIONS = [
    (
        "werkwinkel-eeklo",
        "Werkwinkel Eeklo",
        8120001,
        "job_shop",
        "",
        {"noord-meetjesland": ["coordinator", "referrer"]},
        [("Werkwinkel Eeklo", "Zuidmoerstraat 136", "9900", "Eeklo")],
    ),
    (
        "vdab-eeklo",
        "VDAB Eeklo",
        8120002,
        "employment_service",
        "",
        {"noord-meetjesland": ["referrer", "funder"]},
        [("VDAB Werkwinkel Eeklo", "Zuidmoerstraat 136", "9900", "Eeklo")],
    ),
    (
        "ocmw-eeklo",
        "OCMW Eeklo",
        8120003,
        "public_welfare",
        "",
        {"noord-meetjesland": ["referrer", "funder"]},
        [("Sociaal Huis Eeklo", "Kerkstraat 4", "9900", "Eeklo")],
    ),
    (
        "caw-meetjesland",
        "CAW Oost-Vlaanderen – regio Meetjesland",
        8120004,
        "welfare_centre",
        "",
        {"noord-meetjesland": ["referrer"]},
        [("CAW Eeklo", "Visstraat 8", "9900", "Eeklo")],
    ),
    (
        "pwa-eeklo",
        "PWA Eeklo",
        8120005,
        "local_employment_agency",
        "",
        {"noord-meetjesland": ["referrer"]},
        [("PWA Eeklo", "Stationsstraat 23", "9900", "Eeklo")],
    ),
    (
        "werkwijzer",
        "Vzw Werkwijzer",
        8120006,
        "training_centre",
        "",
        {"noord-meetjesland": ["training_provider", "referrer"]},
        [("Werkwijzer Eeklo", "Industrielaan 9", "9900", "Eeklo")],
    ),
    (
        "stad-eeklo",
        "Stad Eeklo",
        8120007,
        "municipality",
        "",
        {"noord-meetjesland": ["funder"]},
        [("Stadhuis Eeklo", "Markt 34", "9900", "Eeklo")],
    ),
    (
        "kdv-kriebeltje",
        "Kinderdagverblijf 't Kriebeltje",
        8120011,
        "childcare_provider",
        "daycare",
        {"noord-meetjesland": ["care_provider"]},
        [("'t Kriebeltje", "Raverschootstraat 12", "9900", "Eeklo")],
    ),
    (
        "kdv-speelboom",
        "Kinderopvang De Speelboom",
        8120012,
        "childcare_provider",
        "daycare",
        {"noord-meetjesland": ["care_provider"]},
        [
            ("De Speelboom Maldegem", "Brugsesteenweg 51", "9990", "Maldegem"),
            ("De Speelboom Zelzate", "Westkade 7", "9060", "Zelzate"),
        ],
    ),
    (
        "oo-de-smet",
        "Onthaalouder Sofie De Smet",
        8120013,
        "childcare_provider",
        "childminder",
        {"noord-meetjesland": ["care_provider"]},
        [("Onthaalouder De Smet", "Dorpsstraat 88", "9970", "Kaprijke")],
    ),
    (
        "oo-yilmaz",
        "Onthaalouder Fatma Yılmaz",
        8120014,
        "childcare_provider",
        "childminder",
        {"noord-meetjesland": ["care_provider"]},
        [("Onthaalouder Yılmaz", "Molenstraat 5", "9900", "Eeklo")],
    ),
    (
        "ibo-regenboog",
        "IBO De Regenboog",
        8120015,
        "childcare_provider",
        "out_of_school",
        {"noord-meetjesland": ["care_provider"]},
        [("IBO De Regenboog", "Schoolstraat 2", "9960", "Assenede")],
    ),
    (
        "bko-sint-laureins",
        "Buitenschoolse opvang Sint-Laureins",
        8120016,
        "childcare_provider",
        "out_of_school",
        {"noord-meetjesland": ["care_provider"]},
        [("BKO Het Krekeltje", "Leegstraat 3", "9980", "Sint-Laureins")],
    ),
    (
        "ziekekind-meetjesland",
        "Opvang zieke kinderen Meetjesland",
        8120017,
        "childcare_provider",
        "sick_child",
        {"noord-meetjesland": ["care_provider"]},
        [("Thuisopvang zieke kinderen", "Koning Albertstraat 20", "9900", "Eeklo")],
    ),
    (
        "uitzend-eeklo",
        "Uitzendkantoor Meetjesland",
        8120018,
        "temp_agency",
        "",
        {"noord-meetjesland": ["referrer"]},
        [("Uitzendkantoor Eeklo", "Stationsplein 1", "9900", "Eeklo")],
    ),
    # Heusden-Zolder (ONKI)
    (
        "agora",
        "Vormingscentrum Agora",
        8120101,
        "training_centre",
        "",
        {"heusden-zolder": ["coordinator", "training_provider", "referrer"]},
        [("Agora Heusden", "Kerkplein 3", "3550", "Heusden")],
    ),
    (
        "onki-opvang",
        "ONKI-kinderopvang (Landelijke Kinderopvang)",
        8120102,
        "childcare_provider",
        "occasional",
        {"heusden-zolder": ["care_provider"]},
        [("ONKI Zolder", "Dekenijstraat 10", "3550", "Zolder")],
    ),
    (
        "ocmw-heusden-zolder",
        "OCMW Heusden-Zolder",
        8120103,
        "public_welfare",
        "",
        {"heusden-zolder": ["referrer", "funder"]},
        [("Sociaal Huis Heusden-Zolder", "Vrijheidstraat 2", "3550", "Heusden-Zolder")],
    ),
    (
        "vdab-heusden-zolder",
        "VDAB Heusden-Zolder",
        8120104,
        "employment_service",
        "",
        {"heusden-zolder": ["referrer"]},
        [("VDAB Heusden-Zolder", "Koolmijnlaan 40", "3550", "Heusden-Zolder")],
    ),
    (
        "oo-beringen",
        "Onthaalouder Meryem Kaya",
        8120105,
        "childcare_provider",
        "childminder",
        {"heusden-zolder": ["care_provider"]},
        [("Onthaalouder Kaya", "Koolmijnlaan 210", "3580", "Beringen")],
    ),
    (
        "ibo-houthalen",
        "IBO Speelkriebel",
        8120106,
        "childcare_provider",
        "out_of_school",
        {"heusden-zolder": ["care_provider"]},
        [("IBO Speelkriebel", "Grotstraat 14", "3530", "Houthalen-Helchteren")],
    ),
    (
        "gemeente-heusden-zolder",
        "Gemeente Heusden-Zolder – Lokaal Loket Kinderopvang",
        8120107,
        "municipality",
        "",
        {"heusden-zolder": ["funder"]},
        [("Lokaal Loket Kinderopvang", "Pastorijstraat 1", "3550", "Heusden-Zolder")],
    ),
    # The evaluator funds nothing, but follows both networks for the ESF agency.
    (
        "evaluatie",
        "Onderzoeksgroep Arbeid & Zorg (evaluatie)",
        8120201,
        "other",
        "",
        {"noord-meetjesland": ["funder"], "heusden-zolder": ["funder"]},
        [("Onderzoeksgroep Arbeid & Zorg", "Sint-Pietersnieuwstraat 33", "9900", "Eeklo")],
    ),
]

# email, full name, language, organisation key, role
USERS = [
    ("coordinator@demo.zorgbrug.be", "Katrien Van Damme", "nl", "werkwinkel-eeklo", "coordinator"),
    ("referrer@demo.zorgbrug.be", "Sarah Claeys", "nl", "vdab-eeklo", "referrer"),
    ("provider@demo.zorgbrug.be", "Nadia El Amrani", "nl", "kdv-kriebeltje", "provider"),
    ("trainer@demo.zorgbrug.be", "Joris Martens", "nl", "werkwijzer", "trainer"),
    ("researcher@demo.zorgbrug.be", "Leen Vermeulen", "en", "evaluatie", "researcher"),
    ("coordinator.onki@demo.zorgbrug.be", "Hilde Peeters", "nl", "agora", "coordinator"),
    ("referrer.ocmw@demo.zorgbrug.be", "Thomas Wuyts", "fr", "ocmw-eeklo", "referrer"),
]

CONTACTS = [
    (
        "werkwinkel-eeklo",
        "Katrien Van Damme",
        "Projectcoördinator",
        "coordinator@demo.zorgbrug.be",
        "+3293761000",
    ),
    (
        "kdv-kriebeltje",
        "Els Verstraete",
        "Verantwoordelijke",
        "info@kriebeltje.example",
        "+3293770101",
    ),
    (
        "agora",
        "Hilde Peeters",
        "Projectcoördinator ONKI",
        "coordinator.onki@demo.zorgbrug.be",
        "+3211450000",
    ),
]


# --- Care capacity ----------------------------------------------------------------------
# Dutch content: it is what a provider would type in. Every care-providing partner's site
# gets a profile below (site name -> profile); `loader.load_care` applies it idempotently.

# name, from months, up to months (not included) — the same two bands in every network.
AGE_BANDS = [("Baby's en peuters", 0, 30), ("Schoolkinderen", 30, 144)]
BABY, SCHOOL = 0, 30  # the bands by their start, as the profiles below name them

# Opening hours per weekday (0 = Monday): a list of (opens, closes) per day.
#
# Out-of-school care (BKO/IBO) is open before school (7:00–8:30) and after school
# (15:30–18:30), on Wednesday from noon (no school on Wednesday afternoon) and all day in
# the school holidays. A booking covers a whole day-part (morning 7:00–12:30, afternoon
# 12:30–18:30), so in term time the network rents only its afternoons; its mornings are
# rented for the school holidays only (reservations valid for each holiday period, see
# `schoolyear.py`). The before-school hour stays in the opening hours because it is true,
# and because the morning day-part must be open for the holiday reservations to exist.
_WEEK = range(5)
OPENING_HOURS: dict[str, dict[int, list[tuple[str, str]]]] = {
    "daycare": {d: [("07:00", "18:30")] for d in _WEEK},
    "childminder": {d: [("07:30", "18:00")] for d in _WEEK},
    # Many childminders close on Wednesday afternoon.
    "childminder_wednesday_morning": {
        d: [("07:30", "12:30")] if d == 2 else [("07:30", "18:00")] for d in _WEEK
    },
    "out_of_school": {
        d: [("07:00", "08:30"), ("12:00" if d == 2 else "15:30", "18:30")] for d in _WEEK
    },
    "sick_child": {d: [("07:30", "18:00")] for d in _WEEK},
    "occasional": {d: [("07:30", "18:00")] for d in _WEEK},
}

# Reserved places: (age band start, day-parts, weekdays, places, price per day-part).
# `holidays_only` reservations are valid in the school holidays only.
Reserve = tuple[int, str, str, int, str]

CARE_SITES: dict[str, dict[str, Any]] = {
    "'t Kriebeltje": {
        "hours": "daycare",
        "bands": [BABY, SCHOOL],
        "languages": ["nl", "ar", "fr"],
        "wheelchair_accessible": True,
        "meals": True,
        "notes": (
            "Kinderdagverblijf met een kleine groep voor oudere broers en zussen, zodat "
            "kinderen van één gezin samen kunnen komen. Breng een reservepak mee."
        ),
        "reserve": [
            (BABY, "am pm", "01234", 3, "15.00"),
            (SCHOOL, "pm", "01234", 2, "12.00"),
        ],
        "holidays_only": [(SCHOOL, "am", "01234", 2, "12.00")],
    },
    "De Speelboom Maldegem": {
        "hours": "daycare",
        "bands": [BABY],
        "languages": ["nl", "en"],
        "wheelchair_accessible": True,
        "meals": True,
        "notes": "Vlak bij het station van Maldegem; parkeren op de Brugsesteenweg.",
        "reserve": [(BABY, "am pm", "01234", 3, "16.00")],
    },
    "De Speelboom Zelzate": {
        "hours": "daycare",
        "bands": [BABY],
        "languages": ["nl", "tr"],
        "wheelchair_accessible": False,
        "meals": True,
        "notes": "",
        "reserve": [(BABY, "am pm", "0123", 2, "16.00"), (BABY, "am", "4", 1, "16.00")],
    },
    "Onthaalouder De Smet": {
        "hours": "childminder_wednesday_morning",
        "bands": [BABY],
        "languages": ["nl"],
        "wheelchair_accessible": False,
        "meals": True,
        "notes": "Gezinsopvang aan huis, woensdagnamiddag gesloten.",
        "reserve": [(BABY, "am pm", "0134", 1, "14.00"), (BABY, "am", "2", 1, "14.00")],
    },
    "Onthaalouder Yılmaz": {
        "hours": "childminder",
        "bands": [BABY],
        "languages": ["nl", "tr"],
        "wheelchair_accessible": False,
        "meals": True,
        "notes": "Fatma spreekt Nederlands en Turks.",
        "reserve": [(BABY, "am pm", "01234", 1, "14.00")],
    },
    "IBO De Regenboog": {
        "hours": "out_of_school",
        "bands": [SCHOOL],
        "languages": ["nl", "fr"],
        "wheelchair_accessible": True,
        "meals": False,
        "notes": (
            "Haalt de kinderen op aan de scholen van Assenede. In de schoolvakanties open "
            "van 7:00 tot 18:30; breng dan een lunchpakket mee."
        ),
        "reserve": [(SCHOOL, "pm", "01234", 4, "12.00")],
        "holidays_only": [(SCHOOL, "am", "01234", 4, "12.00")],
    },
    "BKO Het Krekeltje": {
        "hours": "out_of_school",
        "bands": [SCHOOL],
        "languages": ["nl"],
        "wheelchair_accessible": True,
        "meals": False,
        "notes": "In de schoolvakanties open van 7:00 tot 18:30.",
        "reserve": [(SCHOOL, "pm", "01234", 3, "12.00")],
        "holidays_only": [(SCHOOL, "am", "01234", 3, "12.00")],
    },
    "Thuisopvang zieke kinderen": {
        "hours": "sick_child",
        "bands": [BABY, SCHOOL],
        "languages": ["nl", "en"],
        "wheelchair_accessible": False,
        "meals": True,
        "notes": (
            "Opvang van een ziek kind bij het gezin thuis door een verzorgende. We bevestigen "
            "elke aanvraag zelf, liefst de dag ervoor vóór 18:00."
        ),
        "needs_confirmation": True,
        "reserve": [(BABY, "am pm", "01234", 1, "18.00"), (SCHOOL, "am pm", "01234", 1, "18.00")],
    },
    "ONKI Zolder": {
        "hours": "occasional",
        "bands": [BABY, SCHOOL],
        "languages": ["nl", "tr", "ar"],
        "wheelchair_accessible": True,
        "meals": True,
        "notes": "Flexibele, occasionele opvang van het ONKI-zorgcoöperatief.",
        "reserve": [(BABY, "am pm", "01234", 4, "13.00"), (SCHOOL, "pm", "01234", 2, "12.00")],
        "holidays_only": [(SCHOOL, "am", "01234", 2, "12.00")],
    },
    "Onthaalouder Kaya": {
        "hours": "childminder_wednesday_morning",
        "bands": [BABY],
        "languages": ["nl", "tr"],
        "wheelchair_accessible": False,
        "meals": True,
        "notes": "",
        "reserve": [(BABY, "am pm", "0134", 1, "14.00"), (BABY, "am", "2", 1, "14.00")],
    },
    "IBO Speelkriebel": {
        "hours": "out_of_school",
        "bands": [SCHOOL],
        "languages": ["nl", "ar"],
        "wheelchair_accessible": True,
        "meals": False,
        "notes": "In de schoolvakanties open van 7:00 tot 18:30.",
        "reserve": [(SCHOOL, "pm", "01234", 3, "12.00")],
        "holidays_only": [(SCHOOL, "am", "01234", 3, "12.00")],
    },
}

# How long the demo's weekly reservations run from the day they are first loaded.
RESERVATION_DAYS = 365

# Closures: (site, reason, weekday it starts on, at least this many days ahead, days long).
# Far enough ahead to stay clear of the demo families' activities below.
CLOSURES = [
    ("'t Kriebeltje", "Pedagogische studiedag", 4, 35, 1),
    ("Onthaalouder De Smet", "Verlof van de onthaalouder", 0, 42, 5),
    ("Onthaalouder Yılmaz", "Opleiding EHBO bij baby's en peuters", 2, 63, 1),
    ("IBO Speelkriebel", "Personeelsvergadering en opleiding", 4, 49, 1),
]

# Short-notice vacancies next week: (site, weekday, day-part, age band, places, price).
VACANCIES = [
    ("De Speelboom Maldegem", 1, "am", BABY, 1, "16.00"),
    ("Onthaalouder Yılmaz", 3, "am", BABY, 1, "14.00"),
    ("Onthaalouder Yılmaz", 3, "pm", BABY, 1, "14.00"),
    ("'t Kriebeltje", 4, "pm", BABY, 1, "15.00"),
    ("IBO De Regenboog", 2, "pm", SCHOOL, 2, "12.00"),
    ("ONKI Zolder", 0, "am", BABY, 1, "13.00"),
]


# --- Demo families ----------------------------------------------------------------------
# Fictitious people, registered through the intake service. Children's ages are in months
# on the day the demo is first loaded; activity dates are relative to the demo day (today,
# or the next day 't Kriebeltje is open). "when" is "demo_day" (these activities fill the
# provider's day list: they are added again on a later day) or ("next", weekday): the first
# such weekday after the demo day. `site` names the proposal to take when it is offered.


def insz(birth: dt.date, counter: int, *, bis: bool = False) -> str:
    """A valid (fictitious) national register number, or BIS number (month + 40)."""
    month = birth.month + (40 if bis else 0)
    base = f"{birth:%y}{month:02d}{birth:%d}{counter:03d}"
    prefix = "2" if birth.year >= 2000 else ""
    return f"{base}{97 - int(prefix + base) % 97:02d}"


VDAB = ("referrer@demo.zorgbrug.be", "vdab-eeklo")
OCMW = ("referrer.ocmw@demo.zorgbrug.be", "ocmw-eeklo")
AGORA = ("coordinator.onki@demo.zorgbrug.be", "agora")
WERKWIJZER = ("Vzw Werkwijzer, Industrielaan 9", "9900")
WERKWINKEL = ("Werkwinkel Eeklo, Zuidmoerstraat 136", "9900")


def _client(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "gender": "female",
        "insz": "",
        "email": "",
        "municipality": "",
        "needs_interpreter": False,
        "labour_status": "unemployed",
        "months_unemployed": 12,
        "income_source": "unemployment_benefit",
        "education_level": 2,
        "single_adult_household": False,
        "adults_in_household": 1,
        "children_in_household": 1,
        "migration_background": None,
    }
    base.update(fields)
    return base


def _screening(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "occasion": "intake",
        "stopped_job": False,
        "stopped_course": True,
        "stopped_interview": False,
        "would_accept": "yes",
        "refusal_reason": "",
        "main_barrier": "care",
    }
    base.update(fields)
    return base


# Requests waiting for the coordinator's allocation run (issue 8): care asked for the
# afternoon of the Wednesday after the demo day ("next", 2), not booked by the loader
# ("pending"). Eight babies want that afternoon within reach of Eeklo, where at most six
# baby places are free then (one at 't Kriebeltje, two or three at De Speelboom Maldegem,
# one at Onthaalouder Yılmaz, one with the sick-child service; De Smet is closed): courses
# asked early compete with a job start and job interviews asked later, so a run serves some
# and explains to the others why not.
def _pending(kind: str, title: str, where: tuple[str, str], children: list[str]) -> dict[str, Any]:
    return {
        "kind": kind,
        "title": title,
        "where": where,
        "when": ("next", 2),
        "hours": ("13:00", "16:00"),
        "children": children,
        "site": "",
        "pending": True,
    }


def _waiting_family(
    first_name: str,
    last_name: str,
    birth: dt.date,
    counter: int,
    street: str,
    postcode: str,
    languages: list[str],
    children: list[tuple[str, int]],
    activity: dict[str, Any],
) -> dict[str, Any]:
    """A family registered by VDAB Eeklo with one pending request."""
    return {
        "network": "noord-meetjesland",
        "intake": VDAB,
        "follow": [],
        "client": _client(
            first_name=first_name,
            last_name=last_name,
            birth_date=birth,
            insz=insz(birth, counter),
            phone=f"0470 55 {counter % 100:02d} {counter % 100:02d}",
            street=street,
            postcode=postcode,
            languages=languages,
            children_in_household=len(children),
        ),
        "children": [{"first_name": name, "age_months": months} for name, months in children],
        "screening": _screening(stopped_interview=True),
        "needs": [(name, "none", "0010000", 4) for name, _months in children],
        "activities": [activity],
    }


FAMILIES: list[dict[str, Any]] = [
    {
        "network": "noord-meetjesland",
        "intake": OCMW,
        "follow": [VDAB],
        "client": _client(
            first_name="Amina",
            last_name="El Idrissi",
            birth_date=dt.date(1990, 2, 15),
            insz=insz(dt.date(1990, 2, 15), 212),
            phone="0470 12 34 56",
            street="Kerkstraat 14",
            postcode="9900",
            languages=["ar", "nl", "fr"],
            months_unemployed=14,
            income_source="social_integration",
            single_adult_household=True,
            children_in_household=2,
        ),
        "children": [
            {"first_name": "Yusuf", "age_months": 75},
            {"first_name": "Lina", "age_months": 14, "allergies": "pinda's"},
        ],
        "screening": _screening(stopped_job=True, stopped_interview=True),
        "needs": [("Yusuf", "family", "0010000", 4), ("Lina", "none", "1101100", 24)],
        "activities": [
            {
                "kind": "course",
                "title": "Opleiding logistiek assistent",
                "where": WERKWIJZER,
                "when": ("next", 1),
                "rule": "FREQ=WEEKLY;BYDAY=TU,TH",
                "weeks": 3,
                "hours": ("09:00", "12:00"),
                "children": ["Lina"],
                "site": "'t Kriebeltje",
            },
            {
                "kind": "orientation",
                "title": "Intakegesprek opleiding",
                "where": WERKWINKEL,
                "when": "demo_day",
                "hours": ("13:30", "15:00"),
                "children": ["Lina"],
                "site": "'t Kriebeltje",
            },
            _pending("course", "Infonamiddag opleiding kinderbegeleider", WERKWIJZER, ["Lina"]),
        ],
    },
    {
        "network": "noord-meetjesland",
        "intake": VDAB,
        "follow": [],
        "client": _client(
            first_name="Jessica",
            last_name="Van Hecke",
            birth_date=dt.date(1996, 8, 3),
            insz=insz(dt.date(1996, 8, 3), 148),
            phone="0486 55 21 09",
            email="jessica.vanhecke@example.org",
            street="Stationsstraat 41",
            postcode="9900",
            languages=["nl"],
            months_unemployed=7,
            education_level=3,
            single_adult_household=True,
            children_in_household=2,
        ),
        "children": [
            {"first_name": "Noah", "age_months": 26},
            {"first_name": "Mila", "age_months": 88},
        ],
        "screening": _screening(stopped_interview=True, stopped_course=False),
        "needs": [("Noah", "family", "1111100", 30), ("Mila", "parent", "0010000", 4)],
        "activities": [
            {
                "kind": "job_interview",
                "title": "Sollicitatiegesprek magazijnmedewerker",
                "where": ("Meetjesland Logistics, Industriepark-Noord 4", "9900"),
                "when": "demo_day",
                "hours": ("09:30", "11:00"),
                "travel": 45,
                "children": ["Noah"],
                "site": "'t Kriebeltje",
                "urgency": "urgent",
            },
            {
                "kind": "work_trial",
                "title": "Werkproef bij Meetjesland Logistics",
                "where": ("Meetjesland Logistics, Industriepark-Noord 4", "9900"),
                "when": ("next", 2),
                "hours": ("08:30", "16:30"),
                "children": ["Noah"],
                "site": "'t Kriebeltje",
            },
        ],
    },
    {
        "network": "noord-meetjesland",
        "intake": VDAB,
        "follow": [],
        # Arrived recently, with temporary protection: no Belgian number yet.
        "client": _client(
            first_name="Olena",
            last_name="Kovalenko",
            birth_date=dt.date(1988, 11, 21),
            phone="0477 80 12 33",
            street="Boelare 102",
            postcode="9900",
            languages=["uk", "en"],
            needs_interpreter=True,
            labour_status="inactive",
            months_unemployed=None,
            income_source="social_integration",
            education_level=6,
            single_adult_household=True,
            children_in_household=2,
        ),
        "children": [
            {"first_name": "Maksym", "age_months": 32, "languages": ["uk"]},
            {"first_name": "Sofiia", "age_months": 111, "languages": ["uk", "en"]},
        ],
        "screening": _screening(main_barrier="language"),
        "needs": [("Maksym", "none", "1111100", 20), ("Sofiia", "none", "0010000", 4)],
        "activities": [
            {
                "kind": "orientation",
                "title": "Oriëntatie: werken in de zorg",
                "where": WERKWINKEL,
                "when": "demo_day",
                "hours": ("13:00", "16:30"),
                "children": ["Maksym", "Sofiia"],
                "site": "'t Kriebeltje",
                "preference": "activity",
            },
        ],
    },
    {
        "network": "noord-meetjesland",
        "intake": VDAB,
        "follow": [],
        "client": _client(
            first_name="Ayşe",
            last_name="Demir",
            birth_date=dt.date(1993, 4, 9),
            insz=insz(dt.date(1993, 4, 9), 86),
            phone="0468 31 77 20",
            street="Molenstraat 19",
            postcode="9900",
            languages=["tr", "nl"],
            months_unemployed=26,
            income_source="none",
            education_level=1,
            adults_in_household=2,
            children_in_household=2,
        ),
        "children": [
            {"first_name": "Elif", "age_months": 9, "languages": ["tr"]},
            {"first_name": "Emre", "age_months": 40, "languages": ["tr", "nl"]},
        ],
        "screening": _screening(main_barrier="language", stopped_course=True),
        "needs": [("Elif", "parent", "1010000", 8), ("Emre", "parent", "0000000", 0)],
        "activities": [
            {
                "kind": "course",
                "title": "Nederlands tweede taal (NT2)",
                "where": ("CVO Meetjesland, Zuidmoerstraat 125", "9900"),
                "when": ("next", 0),
                "rule": "FREQ=WEEKLY;BYDAY=MO,WE",
                "weeks": 4,
                "hours": ("09:00", "12:00"),
                "children": ["Elif"],
                "site": "Onthaalouder Yılmaz",
                "language": "tr",
            },
            _pending("orientation", "Kennismaking met het taalcafé", WERKWINKEL, ["Elif"]),
        ],
    },
    {
        "network": "noord-meetjesland",
        "intake": OCMW,
        "follow": [VDAB],
        "client": _client(
            first_name="Mariam",
            last_name="Diallo",
            birth_date=dt.date(1994, 6, 3),
            insz=insz(dt.date(1994, 6, 3), 402, bis=True),
            phone="0489 14 62 05",
            email="mariam.diallo@example.org",
            street="Raamstraat 7",
            postcode="9900",
            languages=["fr", "en"],
            months_unemployed=5,
            income_source="social_integration",
            education_level=3,
            single_adult_household=True,
            children_in_household=2,
        ),
        "children": [
            {"first_name": "Awa", "age_months": 50},
            {"first_name": "Ibrahim", "age_months": 10},
        ],
        "screening": _screening(stopped_job=True),
        "needs": [("Awa", "none", "0010000", 5), ("Ibrahim", "none", "1011000", 16)],
        "activities": [
            {
                "kind": "course",
                "title": "Infosessies opleiding zorgkundige",
                "where": ("CVO Meetjesland, Zuidmoerstraat 125", "9900"),
                "when": ("next", 2),
                "rule": "FREQ=WEEKLY;BYDAY=WE",
                "weeks": 4,
                "hours": ("13:00", "16:00"),
                "children": ["Awa", "Ibrahim"],
                "site": "'t Kriebeltje",
            },
            {
                "kind": "application",
                "title": "Sollicitatietraining bij de Werkwinkel",
                "where": WERKWINKEL,
                "when": "demo_day",
                "hours": ("14:00", "15:30"),
                "children": ["Ibrahim"],
                "site": "'t Kriebeltje",
            },
        ],
    },
    {
        "network": "noord-meetjesland",
        "intake": VDAB,
        "follow": [],
        "client": _client(
            first_name="Kevin",
            last_name="De Vos",
            gender="male",
            birth_date=dt.date(1991, 12, 30),
            insz=insz(dt.date(1991, 12, 30), 57),
            phone="0495 40 03 18",
            street="Brugsesteenweg 210",
            postcode="9990",
            languages=["nl"],
            months_unemployed=3,
            education_level=3,
            adults_in_household=2,
            children_in_household=1,
        ),
        "children": [{"first_name": "Lars", "age_months": 5}],
        "screening": _screening(stopped_job=True, stopped_course=False, main_barrier="care"),
        "needs": [("Lars", "none", "1111100", 38)],
        "activities": [
            {
                "kind": "job_start",
                "title": "Eerste werkweken als magazijnier",
                "where": ("Distributiecentrum Maldegem, Vliegplein 3", "9990"),
                "when": ("next", 0),
                "rule": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
                "weeks": 4,
                "hours": ("07:00", "15:30"),
                "children": ["Lars"],
                "site": "De Speelboom Maldegem",
            },
            {
                # No provider is open on Saturday: this one ends on the waiting list.
                "kind": "work_trial",
                "title": "Werkproef in het weekend (zaterdagshift)",
                "where": ("Distributiecentrum Maldegem, Vliegplein 3", "9990"),
                "when": ("next", 5),
                "hours": ("08:00", "14:00"),
                "children": ["Lars"],
                "site": "",
            },
        ],
    },
    {
        "network": "heusden-zolder",
        "intake": AGORA,
        "follow": [],
        "client": _client(
            first_name="Zeynep",
            last_name="Aydın",
            birth_date=dt.date(1998, 1, 17),
            insz=insz(dt.date(1998, 1, 17), 310),
            phone="0472 66 90 41",
            street="Koolmijnlaan 88",
            postcode="3550",
            municipality="Heusden",
            languages=["tr", "nl"],
            labour_status="inactive",
            months_unemployed=None,
            income_source="none",
            education_level=2,
            adults_in_household=2,
            children_in_household=2,
        ),
        "children": [
            {"first_name": "Mert", "age_months": 20},
            {"first_name": "Zehra", "age_months": 62},
        ],
        "screening": _screening(stopped_course=True, would_accept="maybe"),
        "needs": [("Mert", "parent", "0001000", 7), ("Zehra", "parent", "0000000", 0)],
        "activities": [
            {
                "kind": "training_session",
                "title": "ONKI-dag: je weg vinden in de lokale diensten",
                "where": ("Vormingscentrum Agora, Kerkplein 3", "3550"),
                "when": ("next", 3),
                "hours": ("09:00", "15:00"),
                "children": ["Mert"],
                "site": "ONKI Zolder",
                "language": "tr",
            },
        ],
    },
    _waiting_family(
        "Hanne",
        "Verstraete",
        dt.date(1995, 3, 8),
        121,
        "Zandvleuvestraat 3",
        "9900",
        ["nl"],
        [("Lotte", 8)],
        _pending("course", "Opleiding kinderbegeleider: kennismaking", WERKWIJZER, ["Lotte"]),
    ),
    _waiting_family(
        "Samira",
        "Bouzid",
        dt.date(1992, 10, 21),
        122,
        "Boelare 40",
        "9900",
        ["ar", "nl", "fr"],
        [("Adam", 11), ("Nour", 11)],
        _pending(
            "job_interview",
            "Sollicitatiegesprek onderhoudsmedewerker",
            ("Stad Eeklo, Markt 34", "9900"),
            ["Adam", "Nour"],
        ),
    ),
    _waiting_family(
        "Tamara",
        "Pieters",
        dt.date(1997, 5, 30),
        123,
        "Noordstraat 17",
        "9990",
        ["nl"],
        [("Finn", 15)],
        _pending(
            "job_start",
            "Eerste werkdag als kassamedewerker",
            ("Supermarkt Maldegem, Markt 5", "9990"),
            ["Finn"],
        ),
    ),
    _waiting_family(
        "Grace",
        "Mensah",
        dt.date(1989, 12, 2),
        124,
        "Kaaistraat 9",
        "9900",
        ["en", "nl"],
        [("Kofi", 20)],
        _pending(
            "work_trial",
            "Werkproef als schoonmaakster",
            ("Schoonmaakbedrijf Meetjesland, Industrielaan 20", "9900"),
            ["Kofi"],
        ),
    ),
    _waiting_family(
        "Rachida",
        "Ouali",
        dt.date(1994, 1, 12),
        125,
        "Tieltsesteenweg 55",
        "9900",
        ["ar", "nl"],
        [("Yasmine", 6)],
        _pending(
            "job_interview",
            "Sollicitatiegesprek in het woonzorgcentrum",
            ("Woonzorgcentrum Eeklo, Kerkstraat 60", "9900"),
            ["Yasmine"],
        ),
    ),
]


# --- Training --------------------------------------------------------------------------
# The catalogue of each network, with sessions in the coming weeks: (weeks from the demo
# day, weekday, start, end, seats). `enrol`: parents their referrer enrols; care for their
# children is asked with the seat, and booked for those marked True, as a referrer would.
TRAINING: list[dict[str, Any]] = [
    {
        "network": "noord-meetjesland",
        "provider": "werkwijzer",
        "by": "trainer@demo.zorgbrug.be",
        "site": "Werkwijzer Eeklo",
        "kind": "onki_day",
        "names": {
            "nl": "ONKI-dag: opvoeden en werken",
            "fr": "Journée ONKI : élever ses enfants et travailler",
            "en": "ONKI day: raising children and working",
        },
        "descriptions": {
            "nl": "Een dag met andere ouders over werk zoeken met jonge kinderen: opvang, "
            "uurroosters, hulp in de buurt.",
            "fr": "Une journée avec d'autres parents sur la recherche d'emploi avec de jeunes "
            "enfants : accueil, horaires, aide près de chez soi.",
            "en": "A day with other parents on looking for work with young children: "
            "childcare, schedules, help nearby.",
        },
        "sessions": [(2, 2, "09:00", "15:30", 12), (4, 2, "09:00", "15:30", 12)],
        "enrol": [(VDAB, "Amina", "El Idrissi", True), (VDAB, "Olena", "Kovalenko", False)],
    },
    {
        "network": "noord-meetjesland",
        "provider": "werkwijzer",
        "by": "trainer@demo.zorgbrug.be",
        "site": "Werkwijzer Eeklo",
        "kind": "logistics_assistant",
        "names": {
            "nl": "Logistiek assistent",
            "fr": "Assistant logistique",
            "en": "Logistics assistant",
        },
        "descriptions": {
            "nl": "Drie voormiddagen kennismaking met magazijnwerk, met een bezoek aan een "
            "distributiecentrum in Maldegem.",
            "fr": "Trois matinées de découverte du travail en entrepôt, avec une visite d'un "
            "centre de distribution à Maldegem.",
            "en": "Three mornings getting to know warehouse work, with a visit to a "
            "distribution centre in Maldegem.",
        },
        "sessions": [(3, 3, "08:45", "12:15", 8), (3, 4, "08:45", "12:15", 8)],
        "enrol": [(VDAB, "Jessica", "Van Hecke", False)],
    },
    {
        "network": "noord-meetjesland",
        "provider": "werkwijzer",
        "by": "trainer@demo.zorgbrug.be",
        "site": "Werkwijzer Eeklo",
        "kind": "work_and_family",
        "names": {
            "nl": "Werk en gezin combineren",
            "fr": "Concilier travail et famille",
            "en": "Combining work and family",
        },
        "descriptions": {
            "nl": "Praktische tips voor de eerste weken van een nieuwe job: opvang, ziekte "
            "van een kind, vervoer.",
        },
        "sessions": [(4, 2, "13:00", "16:00", 15)],
        "enrol": [],
    },
    {
        "network": "heusden-zolder",
        "provider": "agora",
        "by": AGORA[0],
        "site": "Agora Heusden",
        "kind": "onki_day",
        "names": {
            "nl": "ONKI-dag Heusden-Zolder",
            "fr": "Journée ONKI Heusden-Zolder",
            "en": "ONKI day Heusden-Zolder",
        },
        "descriptions": {
            "nl": "Ouders met jonge kinderen ontdekken samen de diensten en de opvang in "
            "de gemeente.",
        },
        "sessions": [(2, 3, "09:00", "12:30", 10)],
        "enrol": [(AGORA, "Zeynep", "Aydın", False)],
    },
]
