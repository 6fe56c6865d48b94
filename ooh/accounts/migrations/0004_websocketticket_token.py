import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def drop_tickets(apps, schema_editor):
    """Tickets live 30 seconds and none of them knows its token: they go, and phones ask for new ones."""
    apps.get_model("accounts", "WebsocketTicket").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_push_devices"),
        migrations.swappable_dependency(settings.KNOX_TOKEN_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_tickets, migrations.RunPython.noop),
        migrations.AddField(
            model_name="websocketticket",
            name="token",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.KNOX_TOKEN_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="websocketticket",
            name="token",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.KNOX_TOKEN_MODEL
            ),
        ),
    ]
