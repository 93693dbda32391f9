# The capacity slots' own indexes on care_site and network duplicate the leading column of
# `capacity_slot_unique` and of the (network, date, day_part, age_band) index: only the
# two indexes go, the foreign keys stay as they are (Django's AlterField would drop and
# re-validate them, locking the table for a scan of every slot).

import django.db.models.deletion
from django.db import migrations, models

INDEXES = [
    ("care_capacityslot_care_site_id_2d6037e5", "care_site_id"),
    ("care_capacityslot_network_id_91b07a00", "network_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0005_partial_user_indexes"),
        ("network", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="capacityslot",
                    name="care_site",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="slots",
                        to="care.caresite",
                    ),
                ),
                migrations.AlterField(
                    model_name="capacityslot",
                    name="network",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="network.network",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "care_capacityslot" ("{column}")',
                )
                for name, column in INDEXES
            ],
        )
    ]
