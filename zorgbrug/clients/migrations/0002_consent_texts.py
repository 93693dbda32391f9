import datetime

from django.db import migrations


def load(apps, schema_editor):
    from zorgbrug.clients.consent_texts import TEXTS, VERSION

    ConsentText = apps.get_model("clients", "ConsentText")
    for language, (title, body) in TEXTS.items():
        ConsentText.objects.update_or_create(
            version=VERSION, language=language,
            defaults={"title": title, "body": body, "valid_from": datetime.date(2026, 1, 1),
                      "is_current": True},
        )


def unload(apps, schema_editor):
    from zorgbrug.clients.consent_texts import VERSION

    apps.get_model("clients", "ConsentText").objects.filter(version=VERSION).delete()


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
