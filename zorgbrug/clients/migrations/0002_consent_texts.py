from django.db import migrations


def load(apps, schema_editor):
    from zorgbrug.clients.consent_texts import ensure_loaded

    ensure_loaded(apps.get_model("clients", "ConsentText"))


def unload(apps, schema_editor):
    from zorgbrug.clients.consent_texts import VERSION

    apps.get_model("clients", "ConsentText").objects.filter(version=VERSION).delete()


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
