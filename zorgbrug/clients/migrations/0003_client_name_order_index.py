# The caseload is ordered by name: with this index its first page reads one page of clients
# instead of sorting every client an organisation follows (bench/bench_caseload.py).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("clients", "0002_consent_texts")]

    operations = [
        migrations.AddIndex(
            model_name="client",
            index=models.Index(fields=["last_name", "first_name", "id"], name="client_name_order"),
        ),
    ]
