"""The consent text shown at intake, version 2026-1, in plain language.

A new version is a new entry here plus a data migration; recorded consents keep the version
they were given on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

VERSION = "2026-1"
VALID_FROM = dt.date(2026, 1, 1)

TEXTS = {
    "nl": (
        "Toestemming voor Zorgbrug",
        """\
Wij noteren je gegevens en die van de mensen voor wie je zorgt, om opvang voor hen te regelen
terwijl jij een opleiding volgt, solliciteert of begint te werken.

1. Zorgondersteuning (nodig): jouw begeleider en de opvang die we voor je vinden, gebruiken je
   gegevens alleen daarvoor.
2. Delen met partners (mag je kiezen): andere partners van het netwerk (bijvoorbeeld VDAB, OCMW)
   mogen je dossier ook zien, zodat je niet alles opnieuw moet vertellen.
3. Onderzoek (mag je kiezen): we gebruiken je gegevens zonder naam om te onderzoeken of deze hulp
   mensen aan het werk helpt.
4. Migratieachtergrond (mag je kiezen): alleen als je dat wil, noteren we of je een
   migratieachtergrond hebt, voor de cijfers van het project.

Je mag je toestemming altijd intrekken. Je mag vragen welke gegevens we hebben, en ze laten
verbeteren of wissen. Vragen? Spreek je begeleider aan.""",
    ),
    "fr": (
        "Consentement pour Zorgbrug",
        """\
Nous notons vos données et celles des personnes dont vous vous occupez, pour organiser leur
accueil pendant que vous suivez une formation, cherchez un emploi ou commencez à travailler.

1. Soutien à l'accueil (nécessaire) : votre accompagnateur et l'accueil que nous trouvons
   n'utilisent vos données que pour cela.
2. Partage avec les partenaires (au choix) : d'autres partenaires du réseau (par exemple le
   VDAB, le CPAS) peuvent aussi voir votre dossier, pour que vous ne deviez pas tout répéter.
3. Recherche (au choix) : nous utilisons vos données sans votre nom pour étudier si cette aide
   aide les gens à trouver du travail.
4. Origine migratoire (au choix) : seulement si vous le voulez, nous notons si vous avez une
   origine migratoire, pour les chiffres du projet.

Vous pouvez toujours retirer votre consentement. Vous pouvez demander quelles données nous avons,
et les faire corriger ou effacer. Des questions ? Parlez-en à votre accompagnateur.""",
    ),
    "en": (
        "Consent for Zorgbrug",
        """\
We record your details and those of the people you care for, to arrange care for them while
you follow a course, apply for jobs or start work.

1. Care support (needed): your counsellor and the care provider we find use your details only
   for that.
2. Sharing with partners (your choice): other partners of the network (for example VDAB, the
   OCMW) may also see your record, so that you do not have to tell everything again.
3. Research (your choice): we use your details without your name to study whether this help
   gets people into work.
4. Migration background (your choice): only if you want, we record whether you have a
   migration background, for the project's figures.

You can always withdraw your consent. You can ask which details we hold, and have them corrected
or erased. Questions? Ask your counsellor.""",
    ),
    "ar": (
        "الموافقة على Zorgbrug",
        """\
نسجّل بياناتك وبيانات الأشخاص الذين تعتني بهم، لننظّم رعايتهم بينما تتابع دورة تدريبية أو
تبحث عن عمل أو تبدأ العمل.

1. دعم الرعاية (ضروري): مرشدك ومكان الرعاية الذي نجده يستعملان بياناتك لهذا فقط.
2. المشاركة مع الشركاء (اختياري): يمكن لشركاء آخرين في الشبكة (مثل VDAB أو OCMW) أن يروا ملفك
   أيضًا، حتى لا تضطر إلى إعادة كل شيء.
3. البحث (اختياري): نستعمل بياناتك بدون اسمك لندرس هل تساعد هذه الخدمة الناس على العمل.
4. الخلفية المهاجرة (اختياري): فقط إذا أردت، نسجّل هل لديك خلفية مهاجرة، لأرقام المشروع.

يمكنك دائمًا سحب موافقتك. يمكنك أن تسأل ما هي البيانات التي لدينا، وأن تطلب تصحيحها أو حذفها.
أسئلة؟ تحدّث مع مرشدك.""",
    ),
    "tr": (
        "Zorgbrug için onay",
        """\
Bir kursa gittiğiniz, iş aradığınız veya işe başladığınız sırada baktığınız kişilerin bakımını
düzenlemek için sizin ve onların bilgilerini kaydediyoruz.

1. Bakım desteği (gerekli): danışmanınız ve bulduğumuz bakım yeri bilgilerinizi sadece bunun
   için kullanır.
2. Ortaklarla paylaşım (seçiminiz): ağın diğer ortakları (örneğin VDAB, OCMW) dosyanızı
   görebilir; böylece her şeyi yeniden anlatmanız gerekmez.
3. Araştırma (seçiminiz): bu yardımın insanların iş bulmasına yardım edip etmediğini
   araştırmak için bilgilerinizi adınız olmadan kullanırız.
4. Göçmen geçmişi (seçiminiz): sadece siz isterseniz, projenin rakamları için göçmen
   geçmişiniz olup olmadığını kaydederiz.

Onayınızı her zaman geri alabilirsiniz. Hangi bilgilerinizin bizde olduğunu sorabilir,
düzeltilmesini veya silinmesini isteyebilirsiniz. Sorunuz mu var? Danışmanınıza sorun.""",
    ),
}


def ensure_loaded(model: Any) -> int:
    """Write this version's texts (idempotent). `model` is ConsentText, or its historical
    version inside a migration. Returns how many texts were created."""
    created = 0
    for language, (title, body) in TEXTS.items():
        _obj, was_created = model.objects.update_or_create(
            version=VERSION,
            language=language,
            defaults={"title": title, "body": body, "valid_from": VALID_FROM, "is_current": True},
        )
        created += int(was_created)
    return created
