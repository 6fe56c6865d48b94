from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0002_escalation_notification_pushdelivery_and_more"),
        ("incidents", "0002_flag_acknowledgement_points_at_flags_app"),
    ]

    # Flags moved to the core app `flags` with their tables (alerts_flag, alerts_flagversion) kept:
    # only Django's idea of where the models live changes; the database is untouched.
    state_operations = [
        migrations.RemoveField(
            model_name="flag",
            name="created_by",
        ),
        migrations.RemoveField(
            model_name="flag",
            name="owner",
        ),
        migrations.RemoveField(
            model_name="flag",
            name="revoked_by",
        ),
        migrations.RemoveField(
            model_name="flag",
            name="source_agency",
        ),
        migrations.RemoveField(
            model_name="flag",
            name="subject_address",
        ),
        migrations.RemoveField(
            model_name="flag",
            name="subject_person",
        ),
        migrations.RemoveField(
            model_name="flagversion",
            name="flag",
        ),
        migrations.RemoveField(
            model_name="flagversion",
            name="changed_by",
        ),
    ]

    state_operations += [
        migrations.DeleteModel(name="Flag"),
        migrations.DeleteModel(name="FlagVersion"),
    ]
    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
