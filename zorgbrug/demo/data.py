"""The demo region: two networks drawn from the seed projects. Names are fictitious."""

from __future__ import annotations

from decimal import Decimal as D


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
