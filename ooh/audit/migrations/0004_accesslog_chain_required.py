"""Every row is now chained (0003): the chain fields become required, and chain_seq unique."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_accesslog_chain")]

    operations = [
        migrations.AlterField(
            model_name="accesslog",
            name="chain_seq",
            field=models.BigIntegerField(editable=False, help_text="1, 2, 3... with no gaps.", unique=True),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="prev_hash",
            field=models.CharField(editable=False, help_text="The previous row's hash.", max_length=64),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="hash",
            field=models.CharField(
                editable=False,
                help_text="SHA-256 of prev_hash and this row's content and people.",
                max_length=64,
            ),
        ),
    ]
