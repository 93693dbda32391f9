"""A deterministic synthetic region for benchmarks: same arguments, same data.

Later issues extend it (capacity, bookings) by adding steps to `generate_region`. Clients
(`clients=N`) come with their children, consent, intake screening and following referrers,
drawn from distributions like the seed projects' caseloads: mostly mothers, many single
parents, low ISCED levels, many with a migration background. Care providers with their
capacity (`providers=N`, `days=D`) and bookings for the clients come from
`care_generator.py`.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from zorgbrug.clients import consent_texts
from zorgbrug.clients.models import (
    CareRecipient,
    Client,
    ClientStatus,
    Consent,
    FollowingOrganisation,
    Screening,
    ScreeningNeed,
)
from zorgbrug.clients.screening import QUESTIONNAIRE_VERSION, NeedAnswer, barrier_score
from zorgbrug.clients.services import normalise_name
from zorgbrug.demo import care_generator
from zorgbrug.demo.data import POSTCODES, kbo
from zorgbrug.network.models import Network, Organisation, OrganisationKind, Partner, Postcode, Site

KIND_MIX = [
    (OrganisationKind.CHILDCARE_PROVIDER, 0.55),
    (OrganisationKind.EMPLOYMENT_SERVICE, 0.05),
    (OrganisationKind.PUBLIC_WELFARE, 0.08),
    (OrganisationKind.WELFARE_CENTRE, 0.05),
    (OrganisationKind.LOCAL_EMPLOYMENT_AGENCY, 0.05),
    (OrganisationKind.TRAINING_CENTRE, 0.08),
    (OrganisationKind.EMPLOYER, 0.06),
    (OrganisationKind.TEMP_AGENCY, 0.04),
    (OrganisationKind.MUNICIPALITY, 0.04),
]
PROVIDER_KINDS = ["daycare", "daycare", "childminder", "childminder", "out_of_school", "occasional"]
STREETS = [
    "Kerkstraat",
    "Stationsstraat",
    "Dorpsstraat",
    "Molenstraat",
    "Schoolstraat",
    "Nieuwstraat",
    "Beekstraat",
    "Kapelstraat",
    "Veldstraat",
    "Marktplein",
]


def require_allowed() -> None:
    if not (settings.DEBUG or os.environ.get("ALLOW_SYNTHETIC_DATA") == "1"):
        raise ImproperlyConfigured(
            "Synthetic data is for development and benchmarks only: run with DEBUG=1 or "
            "ALLOW_SYNTHETIC_DATA=1."
        )


def _roles_for(kind: str) -> dict[str, bool]:
    return {
        "is_referrer": kind
        in {
            "employment_service",
            "public_welfare",
            "welfare_centre",
            "local_employment_agency",
            "employer",
            "temp_agency",
            "job_shop",
        },
        "is_care_provider": kind == "childcare_provider",
        "is_training_provider": kind == "training_centre",
        "is_funder": kind in {"municipality", "public_welfare"},
    }


@transaction.atomic
def generate_region(
    *,
    organisations: int,
    seed: int,
    clients: int = 0,
    providers: int = 0,
    days: int = 365,
    pathways: bool = False,
) -> dict[str, Any]:
    require_allowed()
    if organisations < 1:
        raise ValueError("organisations must be at least 1")
    if clients < 0:
        raise ValueError("clients must not be negative")
    rng = random.Random(seed)
    postcodes = list(
        Postcode.objects.order_by("code", "name").values_list(
            "code", "name", "latitude", "longitude"
        )
    )
    if not postcodes:
        postcodes = [(c, n, la, lo) for c, n, la, lo, _p in POSTCODES]
    slug = f"synthetic-{seed}"
    network, _ = Network.objects.get_or_create(
        slug=slug,
        defaults={"name": f"Synthetic region {seed}", "region": "generated for benchmarks"},
    )
    existing = (
        Organisation.objects.filter(partnerships__network=network)
        .exclude(care_generator.generated_provider_q())  # counted by the care step
        .count()
    )
    kinds, weights = zip(*KIND_MIX, strict=True)
    new_orgs: list[Organisation] = []
    org_kinds: list[str] = []
    for i in range(existing, organisations):
        kind = str(rng.choices(kinds, weights)[0]) if i else "job_shop"
        provider_kind = rng.choice(PROVIDER_KINDS) if kind == "childcare_provider" else ""
        new_orgs.append(
            Organisation(
                name=f"{OrganisationKind(kind).label} {seed}-{i + 1}"
                if kind != "job_shop"
                else f"Job shop {seed}",
                kind=kind,
                provider_kind=provider_kind,
                kbo_number=kbo(70_000_000 + seed * 100_000 + i),
            )
        )
        org_kinds.append(kind)
    Organisation.objects.bulk_create(new_orgs, batch_size=1000)
    partners, sites = [], []
    for org, kind in zip(new_orgs, org_kinds, strict=True):
        roles = _roles_for(kind)
        partners.append(
            Partner(network=network, organisation=org, is_coordinator=kind == "job_shop", **roles)
        )
        for s in range(1 + (rng.random() < 0.2)):
            code, place, lat, lng = rng.choice(postcodes)
            jitter = Decimal(rng.randint(-900, 900)) / Decimal(100000)
            sites.append(
                Site(
                    organisation=org,
                    name=f"{org.name} – {place} {s + 1}",
                    street=f"{rng.choice(STREETS)} {rng.randint(1, 200)}",
                    postcode=code,
                    municipality=place,
                    latitude=Decimal(lat) + jitter,
                    longitude=Decimal(lng) - jitter,
                )
            )
    Partner.objects.bulk_create(partners, batch_size=1000)
    Site.objects.bulk_create(sites, batch_size=1000)
    result: dict[str, Any] = {
        "network": slug,
        "organisations": organisations,
        "created": len(new_orgs),
        "sites": len(sites),
    }
    if clients:
        result["clients_created"] = generate_clients(
            network=network, seed=seed, clients=clients, postcodes=postcodes
        )
    # Care providers with capacity, then bookings for the clients above: keep this last.
    result.update(
        care_generator.generate_care(
            network=network, seed=seed, providers=providers, days=days, postcodes=postcodes
        )
    )
    if pathways:
        # Pathways, follow-ups and outcomes of the clients (zorgbrug.demo.pathway_generator).
        from zorgbrug.demo.pathway_generator import generate_pathways

        result.update(generate_pathways(network=network, seed=seed))
    return result


# --- Clients --------------------------------------------------------------------------
# Dates are drawn relative to a fixed day, so that the same seed gives the same region on
# any day.
REFERENCE_DAY = dt.date(2026, 1, 5)
T = TypeVar("T")


def _pick(rng: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


@dataclass(frozen=True)
class Origin:
    """Where a client's family comes from: names, and the languages spoken at home."""

    share: float
    women: list[str]
    men: list[str]
    surnames: list[str]
    children: list[str]
    languages: list[tuple[list[str], float]]


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",")]


ORIGINS: dict[str, Origin] = {
    "belgian": Origin(
        0.42,
        _names(
            "Sarah, Laura, Lotte, Julie, Elke, Sofie, Kimberly, Jessica, Kelly, Melissa, "
            "Stephanie, Tine, Evelien, Marie, Charlotte, Nathalie, Ann"
        ),
        _names("Kevin, Tom, Bart, Jonas, Pieter, Dries, Wouter, Steven, Jens"),
        _names(
            "Peeters, Janssens, Maes, Jacobs, Mertens, Willems, Claes, Goossens, Wouters, "
            "De Smet, De Vos, Hermans, Van den Broeck, Dubois, Lambert, Vermeulen, De Clercq, "
            "Martens, Verstraete, Coppens, Van Damme, Pauwels"
        ),
        _names(
            "Noah, Lucas, Liam, Louis, Arthur, Olivia, Emma, Mila, Nora, Juliette, Lena, Finn, "
            "Lou, Marthe, Vic, Ella"
        ),
        [(["nl"], 0.88), (["fr", "nl"], 0.08), (["nl", "en"], 0.04)],
    ),
    "moroccan": Origin(
        0.17,
        _names(
            "Fatima, Khadija, Samira, Nadia, Amina, Malika, Hafsa, Siham, Noura, Latifa, "
            "Souad, Imane, Loubna, Meryem"
        ),
        _names("Mohamed, Youssef, Karim, Said, Rachid, Hamza"),
        _names(
            "El Idrissi, Benali, El Amrani, Bouzid, Ait Ahmed, El Khattabi, Ouali, Azzouzi, "
            "Haddou, Bakkali, El Ouardi, Chaouki, Boukhari"
        ),
        _names("Adam, Rayan, Yasmine, Ines, Sara, Ilyas, Amir, Nour, Aya, Zakaria, Malak, Anas"),
        [(["ar", "nl"], 0.5), (["nl", "ar"], 0.3), (["ar", "fr"], 0.2)],
    ),
    "turkish": Origin(
        0.13,
        _names("Ayşe, Fatma, Elif, Zeynep, Emine, Hatice, Merve, Büşra, Esra, Gülsüm, Sevda"),
        _names("Mehmet, Mustafa, Ahmet, Emre, Hasan"),
        _names(
            "Yılmaz, Kaya, Demir, Şahin, Çelik, Yıldız, Öztürk, Aydın, Arslan, Doğan, Koç, Kurt"
        ),
        _names("Yusuf, Eymen, Elif, Zeynep, Ecrin, Ömer, Miraç, Defne, Kerem, Asel, Alparslan"),
        [(["tr", "nl"], 0.65), (["tr"], 0.25), (["nl", "tr"], 0.1)],
    ),
    "middle_east": Origin(
        0.09,
        _names("Rasha, Hiba, Lina, Noor, Maryam, Zahra, Farida, Shirin, Rana, Yasmin, Parwana"),
        _names("Omar, Ahmad, Ali, Hassan, Mahmoud"),
        _names(
            "Al Hassan, Haddad, Khalil, Nazari, Ahmadi, Rahimi, Hussaini, Al Jaber, Mohammadi, "
            "Darwish"
        ),
        _names("Ali, Omar, Hiba, Sham, Lana, Yousef, Maya, Karam, Sidra, Zain"),
        [(["ar"], 0.45), (["ar", "en"], 0.2), (["fa"], 0.2), (["ps", "fa"], 0.15)],
    ),
    "eastern_european": Origin(
        0.1,
        _names(
            "Anna, Maria, Olena, Iryna, Natalia, Agnieszka, Ewa, Daria, Elena, Ioana, "
            "Kateryna, Monika"
        ),
        _names("Andrei, Piotr, Oleksandr, Marek, Ivan"),
        _names(
            "Kowalska, Nowak, Popescu, Ionescu, Shevchenko, Kovalenko, Petrova, Dimitrova, "
            "Horváth, Wiśniewska, Bondarenko, Georgieva"
        ),
        _names("Sofia, Maksym, Zuzanna, Antoni, Eva, David, Alisa, Mark, Amelia"),
        [(["pl"], 0.3), (["ro"], 0.25), (["uk", "ru"], 0.25), (["bg"], 0.1), (["ru"], 0.1)],
    ),
    "african": Origin(
        0.09,
        _names(
            "Aminata, Fatoumata, Grace, Esther, Mariam, Aisha, Hawa, Blessing, Ruth, Sandrine, "
            "Ifrah, Saba"
        ),
        _names("Ibrahim, Moussa, Jean-Pierre, Samuel, Abdi"),
        _names(
            "Diallo, Traoré, Kabongo, Mbuyi, Mensah, Okafor, Tshibangu, Abdi, Yusuf, Tesfaye, "
            "Camara, Nkosi"
        ),
        _names("Merveille, Divine, Ibrahim, Aïcha, Daniel, Precious, Hamdi, Nahom, Fatou, Exaucé"),
        [(["fr"], 0.35), (["en"], 0.2), (["so"], 0.15), (["ti", "en"], 0.15), (["ln", "fr"], 0.15)],
    ),
}
GENDER_MIX = [("female", 0.86), ("male", 0.12), ("x", 0.01), ("unknown", 0.01)]
LABOUR_MIX = [("unemployed", 0.5), ("inactive", 0.33), ("in_training", 0.1), ("employed", 0.07)]
INCOME_BY_LABOUR = {
    "unemployed": [
        ("unemployment_benefit", 0.55),
        ("social_integration", 0.3),
        ("none", 0.1),
        ("other", 0.05),
    ],
    "inactive": [
        ("social_integration", 0.45),
        ("other", 0.25),
        ("none", 0.25),
        ("unemployment_benefit", 0.05),
    ],
    "in_training": [
        ("social_integration", 0.35),
        ("unemployment_benefit", 0.35),
        ("other", 0.2),
        ("none", 0.1),
    ],
    "employed": [("work", 0.9), ("other", 0.1)],
}
ISCED_MIX: list[tuple[int | None, float]] = [
    (None, 0.06),
    (0, 0.04),
    (1, 0.14),
    (2, 0.34),
    (3, 0.28),
    (4, 0.04),
    (5, 0.03),
    (6, 0.05),
    (7, 0.02),
]
CHILDREN_MIX = [(1, 0.45), (2, 0.35), (3, 0.2)]
ARRANGEMENT_MIX = [("none", 0.3), ("parent", 0.3), ("family", 0.25), ("regular_childcare", 0.15)]
BARRIER_MIX = [
    ("care", 0.45),
    ("language", 0.15),
    ("skills", 0.12),
    ("health", 0.08),
    ("transport", 0.08),
    ("other", 0.05),
    ("none", 0.07),
]
REFUSAL_MIX = [
    ("trust", 0.25),
    ("not_ready", 0.25),
    ("health", 0.15),
    ("other_care", 0.15),
    ("language", 0.1),
    ("transport", 0.05),
    ("other", 0.05),
]
REFERRER_WEIGHT = {
    "employment_service": 4.0,
    "public_welfare": 3.0,
    "job_shop": 2.0,
    "welfare_centre": 2.0,
    "local_employment_agency": 1.0,
    "employer": 0.3,
    "temp_agency": 0.3,
}
# Belgian mobile numbers: +32 4xx xx xx xx.
MOBILE_PREFIXES = [
    *(f"46{d}" for d in "05678"),
    *(f"4{n}" for n in range(70, 100) if n not in (80, 81, 82)),
]
CONSENT_LANGUAGES = ("nl", "fr", "en", "ar", "tr")


def _insz(birth: dt.date, counter: int, *, bis: bool) -> str:
    month = birth.month + (40 if bis else 0)
    base = f"{birth:%y}{month:02d}{birth:%d}{counter:03d}"
    check = 97 - int(("2" if birth.year >= 2000 else "") + base) % 97
    return f"{base}{check:02d}"


def _birth_date(rng: random.Random, age_years: float) -> dt.date:
    return REFERENCE_DAY - dt.timedelta(days=int(age_years * 365.25) + rng.randint(0, 364))


class _Drawn:
    """One synthetic client with everything that hangs off it, before saving."""

    def __init__(self) -> None:
        self.client: Client
        self.children: list[CareRecipient] = []
        self.consent: Consent
        self.followers: list[int] = []
        self.screening: Screening | None = None
        self.needs: list[tuple[int, ScreeningNeed]] = []  # (index in children, need)


def _draw_client(
    rng: random.Random,
    *,
    network: Network,
    referrers: list[tuple[int, float]],
    postcodes: list[tuple[Any, ...]],
    taken_insz: set[str],
) -> _Drawn:
    drawn = _Drawn()
    origin = _pick(rng, [(name, spec.share) for name, spec in ORIGINS.items()])
    spec = ORIGINS[origin]
    gender = _pick(rng, GENDER_MIX)
    male = gender == "male" or (gender in ("x", "unknown") and rng.random() < 0.5)
    first_name = rng.choice(spec.men if male else spec.women)
    last_name = rng.choice(spec.surnames)
    age = rng.triangular(20, 50, 31)
    birth = _birth_date(rng, age)
    insz = ""
    if rng.random() < (0.85 if origin == "belgian" else 0.65):
        bis = origin != "belgian" and rng.random() < 0.15
        counter = rng.randrange(1 if male else 2, 998, 2)  # odd for men, even for women
        insz = _insz(birth, counter, bis=bis)
        while insz in taken_insz and counter < 996:
            counter += 2
            insz = _insz(birth, counter, bis=bis)
        if insz in taken_insz:
            insz = ""
        else:
            taken_insz.add(insz)
    languages = list(_pick(rng, spec.languages))
    code, place, lat, lng = rng.choice(postcodes)
    jitter = Decimal(rng.randint(-1500, 1500)) / Decimal(100000)
    labour = _pick(rng, LABOUR_MIX)
    months = None
    if labour in ("unemployed", "inactive"):
        months = min(180, 1 + int(rng.expovariate(1 / 18)))
    elif labour == "in_training" and rng.random() < 0.5:
        months = min(120, 1 + int(rng.expovariate(1 / 12)))
    single = rng.random() < 0.55
    n_children = _pick(rng, CHILDREN_MIX)
    special = rng.random() < 0.6
    share = rng.random() < 0.7
    plain = normalise_name(first_name, last_name).replace(" ", ".")
    drawn.client = Client(
        network=network,
        first_name=first_name,
        last_name=last_name,
        birth_date=birth,
        gender=gender,
        insz=insz,
        phone=f"+32{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 999999):06d}"
        if rng.random() < 0.85
        else "",
        email=f"{plain}{rng.randint(1, 99)}@example.org" if rng.random() < 0.4 else "",
        street=f"{rng.choice(STREETS)} {rng.randint(1, 250)}",
        postcode=code,
        municipality=place,
        latitude=(Decimal(lat) + jitter).quantize(Decimal("0.000001")),
        longitude=(Decimal(lng) - jitter).quantize(Decimal("0.000001")),
        languages=languages,
        needs_interpreter="nl" not in languages and rng.random() < 0.6,
        labour_status=labour,
        months_unemployed=months,
        income_source=_pick(rng, INCOME_BY_LABOUR[labour]),
        education_level=_pick(rng, ISCED_MIX),
        single_adult_household=single,
        adults_in_household=1 if single else _pick(rng, [(2, 0.85), (3, 0.15)]),
        children_in_household=0,
        migration_background=(origin != "belgian") if special else None,
        status=ClientStatus.ACTIVE if rng.random() < 0.92 else ClientStatus.EXITED,
        search_name=normalise_name(first_name, last_name),
        intake_organisation_id=0,  # set below
    )
    # Children: the youngest mostly of childcare age, then one to five years apart.
    child_age = min(rng.triangular(0, 9, 1.5), age - 19)
    for _ in range(n_children):
        child_birth = _birth_date(rng, child_age)
        if (child_birth - birth).days < 17 * 365:
            break
        drawn.children.append(
            CareRecipient(
                kind="child",
                first_name=rng.choice(spec.children),
                birth_date=child_birth,
                languages=languages[:1],
                allergies="" if rng.random() < 0.93 else rng.choice(["noten", "melk", "ei"]),
            )
        )
        child_age += rng.uniform(1, 5)
    drawn.children.sort(key=lambda c: c.birth_date)
    drawn.client.children_in_household = len(drawn.children) + (rng.random() < 0.08)
    given = REFERENCE_DAY - dt.timedelta(days=rng.randint(0, 540))
    given_at = timezone.make_aware(dt.datetime.combine(given, dt.time(9 + rng.randint(0, 7))))
    language = next((x for x in languages if x in CONSENT_LANGUAGES), "nl")
    drawn.consent = Consent(
        text_version=consent_texts.VERSION,
        language=language,
        care_support=True,
        share_with_partners=share,
        research_use=rng.random() < 0.8,
        special_category=special,
        given_at=given_at,
    )
    ids, weights = zip(*referrers, strict=True)
    intake = rng.choices(ids, weights)[0]
    drawn.client.intake_organisation_id = intake
    drawn.followers = [intake]
    if share and len(referrers) > 1 and rng.random() < 0.3:
        other = rng.choices(ids, weights)[0]
        if other != intake:
            drawn.followers.append(other)
    if rng.random() < 0.9:
        _draw_screening(rng, drawn, taken_on=given, single=single)
    return drawn


def _draw_screening(rng: random.Random, drawn: _Drawn, *, taken_on: dt.date, single: bool) -> None:
    weight = rng.random()  # how heavily care weighs on this client
    stopped = [rng.random() < 0.1 + 0.5 * weight for _ in range(3)]
    would = _pick(rng, [("yes", 0.35 + 0.3 * weight), ("maybe", 0.3), ("no", 0.35 - 0.3 * weight)])
    main = "care" if rng.random() < 0.3 * weight else _pick(rng, BARRIER_MIX)
    needs = []
    for index, child in enumerate(drawn.children):
        if (taken_on - child.birth_date).days > 12 * 365:
            continue  # old enough to stay alone after school
        days = sorted(rng.sample(range(5), rng.randint(2, 5)))
        hours = Decimal(len(days) * rng.randint(4, 9))
        needs.append(
            (
                index,
                ScreeningNeed(
                    arrangement=_pick(rng, ARRANGEMENT_MIX),
                    days_needed="".join("1" if d in days else "0" for d in range(7)),
                    hours_per_week=hours,
                ),
            )
        )
    drawn.screening = Screening(
        questionnaire_version=QUESTIONNAIRE_VERSION,
        occasion="intake",
        taken_on=taken_on,
        stopped_job=stopped[0],
        stopped_course=stopped[1],
        stopped_interview=stopped[2],
        would_accept=would,
        refusal_reason=_pick(rng, REFUSAL_MIX) if would == "no" else "",
        main_barrier=main,
        barrier_score=barrier_score(
            stopped_job=stopped[0],
            stopped_course=stopped[1],
            stopped_interview=stopped[2],
            would_accept=would,
            single_adult_household=single,
            main_barrier=main,
            needs=[NeedAnswer(n.arrangement, True) for _i, n in needs],
        ),
    )
    drawn.needs = needs


def generate_clients(
    *, network: Network, seed: int, clients: int, postcodes: list[tuple[Any, ...]]
) -> int:
    """Up to `clients` clients in the network, each drawn from its own random stream (the
    seed and its number), so that 100 then 200 gives the same clients as 200 at once."""
    existing = Client.objects.filter(network=network).count()
    if existing >= clients:
        return 0
    referrers = [
        (org_id, REFERRER_WEIGHT.get(kind, 1.0))
        for org_id, kind in Partner.objects.filter(network=network, is_referrer=True)
        .order_by("organisation_id")
        .values_list("organisation_id", "organisation__kind")
    ]
    if not referrers:
        raise ValueError("the region has no referring organisation to follow its clients")
    taken = set(
        Client.objects.filter(network=network).exclude(insz="").values_list("insz", flat=True)
    )
    drawn = [
        _draw_client(
            random.Random(seed * 1_000_003 + number),
            network=network,
            referrers=referrers,
            postcodes=postcodes,
            taken_insz=taken,
        )
        for number in range(existing, clients)
    ]
    Client.objects.bulk_create([d.client for d in drawn], batch_size=1000)
    children: list[CareRecipient] = []
    consents: list[Consent] = []
    follows: list[FollowingOrganisation] = []
    screenings: list[Screening] = []
    for d in drawn:
        for child in d.children:
            child.client = d.client
            children.append(child)
        d.consent.client = d.client
        d.consent.recorded_by_organisation_id = d.client.intake_organisation_id
        consents.append(d.consent)
        follows.extend(
            FollowingOrganisation(
                client=d.client,
                organisation_id=org_id,
                reason="intake" if org_id == d.client.intake_organisation_id else "generated",
            )
            for org_id in d.followers
        )
        if d.screening is not None:
            d.screening.client = d.client
            d.screening.organisation_id = d.client.intake_organisation_id
            screenings.append(d.screening)
    CareRecipient.objects.bulk_create(children, batch_size=1000)
    Consent.objects.bulk_create(consents, batch_size=1000)
    FollowingOrganisation.objects.bulk_create(follows, batch_size=1000)
    Screening.objects.bulk_create(screenings, batch_size=1000)
    needs = []
    for d in drawn:
        for index, need in d.needs:
            assert d.screening is not None
            need.screening = d.screening
            need.care_recipient = d.children[index]
            needs.append(need)
    ScreeningNeed.objects.bulk_create(needs, batch_size=1000)
    return len(drawn)
