import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("flags", "0001_initial"),
        ("incidents", "0001_initial"),
    ]

    # State only: the foreign key's column and table are unchanged (flags kept their tables).
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="flagacknowledgement",
                    name="flag",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="flags.flag"
                    ),
                ),
            ]
        )
    ]
