import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


def move_content_types(apps, schema_editor, source="alerts", target="flags"):
    """Permissions and admin history keep pointing at the same models."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label=source, model__in=["flag", "flagversion"]).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="flags", target="alerts")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("alerts", "0002_escalation_notification_pushdelivery_and_more"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0004_websocketticket_token"),
        ("people", "0003_search_text_in_search_form"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # The models move here from `alerts` with their tables: state only, the database is untouched.
    state_operations = [
        migrations.CreateModel(
            name="Flag",
            fields=[
                (
                    "id",
                    models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False),
                ),
                (
                    "category",
                    models.CharField(
                        choices=[
                            ("violence", "Violence"),
                            ("weapons", "Weapons"),
                            ("threats_to_staff", "Threats To Staff"),
                            ("dangerous_animal", "Dangerous Animal"),
                            ("child_protection_plan", "Child Protection Plan"),
                            ("unborn_child_protection_plan", "Unborn Child Protection Plan"),
                            ("looked_after_child", "Looked After Child"),
                            ("pre_proceedings", "Pre Proceedings"),
                            ("removal_at_birth_plan", "Removal At Birth Plan"),
                            ("flight_risk", "Flight Risk"),
                            ("missing_person", "Missing Person"),
                            ("learning_disability", "Learning Disability"),
                            ("mental_health", "Mental Health"),
                            ("substance_misuse", "Substance Misuse"),
                            ("self_harm", "Self Harm"),
                            ("domestic_abuse", "Domestic Abuse"),
                            ("controlling_behaviour", "Controlling Behaviour"),
                            ("marac_case", "Marac Case"),
                            ("medical", "Medical"),
                            ("infection_risk", "Infection Risk"),
                            ("other", "Other"),
                        ],
                        max_length=40,
                    ),
                ),
                (
                    "group",
                    models.CharField(
                        choices=[
                            ("officer_safety", "Officer Safety"),
                            ("safeguarding", "Safeguarding"),
                            ("vulnerability", "Vulnerability"),
                            ("domestic_abuse", "Domestic Abuse"),
                            ("health", "Health"),
                            ("other", "Other"),
                        ],
                        editable=False,
                        max_length=24,
                    ),
                ),
                (
                    "severity",
                    models.CharField(
                        choices=[
                            ("low", "Low"),
                            ("medium", "Medium"),
                            ("high", "High"),
                            ("critical", "Critical"),
                        ],
                        max_length=12,
                    ),
                ),
                (
                    "summary",
                    models.CharField(
                        help_text="What a call handler must know, readable at a glance.", max_length=200
                    ),
                ),
                ("handling_instructions", models.TextField(blank=True)),
                ("valid_from", models.DateTimeField()),
                ("valid_until", models.DateTimeField(blank=True, null=True)),
                ("review_by", models.DateField(blank=True, null=True)),
                (
                    "status",
                    models.CharField(
                        choices=[("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")],
                        default="active",
                        max_length=12,
                    ),
                ),
                ("version", models.PositiveIntegerField(default=1)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                ("revoked_reason", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("external_id", models.CharField(blank=True, max_length=100, null=True, unique=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "owner",
                    models.ForeignKey(
                        help_text="The professional who owns the concern.",
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="owned_flags",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "revoked_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "source_agency",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.agency"
                    ),
                ),
                (
                    "subject_address",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="flags",
                        to="people.address",
                    ),
                ),
                (
                    "subject_person",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="flags",
                        to="people.person",
                    ),
                ),
            ],
            options={
                "db_table": "alerts_flag",
                "ordering": ["-created_at"],
            },
        ),
        migrations.CreateModel(
            name="FlagVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.PositiveIntegerField()),
                ("snapshot", models.JSONField()),
                ("changed_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("change", models.CharField(max_length=16)),
                (
                    "changed_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "flag",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="versions", to="flags.flag"
                    ),
                ),
            ],
            options={
                "db_table": "alerts_flagversion",
                "ordering": ["flag", "version"],
            },
        ),
        migrations.AddIndex(
            model_name="flag",
            index=models.Index(
                condition=models.Q(("status", "active")), fields=["subject_person"], name="flag_active_person"
            ),
        ),
        migrations.AddIndex(
            model_name="flag",
            index=models.Index(
                condition=models.Q(("status", "active")),
                fields=["subject_address"],
                name="flag_active_address",
            ),
        ),
        migrations.AddIndex(
            model_name="flag",
            index=models.Index(fields=["created_at"], name="alerts_flag_created_466600_idx"),
        ),
        migrations.AddConstraint(
            model_name="flag",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("subject_address__isnull", True), ("subject_person__isnull", False)),
                    models.Q(("subject_address__isnull", False), ("subject_person__isnull", True)),
                    _connector="OR",
                ),
                name="flag_on_exactly_one_subject",
            ),
        ),
        migrations.AddConstraint(
            model_name="flag",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "category__in",
                        [
                            "violence",
                            "weapons",
                            "threats_to_staff",
                            "dangerous_animal",
                            "child_protection_plan",
                            "unborn_child_protection_plan",
                            "looked_after_child",
                            "pre_proceedings",
                            "removal_at_birth_plan",
                            "flight_risk",
                            "missing_person",
                            "learning_disability",
                            "mental_health",
                            "substance_misuse",
                            "self_harm",
                            "domestic_abuse",
                            "controlling_behaviour",
                            "marac_case",
                            "medical",
                            "infection_risk",
                            "other",
                        ],
                    )
                ),
                name="flag_category_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="flag",
            constraint=models.CheckConstraint(
                condition=models.Q(("severity__in", ["low", "medium", "high", "critical"])),
                name="flag_severity_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="flag",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["active", "revoked"])), name="flag_status_stored"
            ),
        ),
        migrations.AddConstraint(
            model_name="flag",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("severity__in", ["critical", "high"]), _negated=True),
                    ("review_by__isnull", False),
                    _connector="OR",
                ),
                name="flag_high_needs_review_by",
            ),
        ),
        migrations.AddConstraint(
            model_name="flag",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("valid_until__isnull", True),
                    ("valid_until__gt", models.F("valid_from")),
                    _connector="OR",
                ),
                name="flag_valid_until_after_from",
            ),
        ),
        migrations.AddConstraint(
            model_name="flagversion",
            constraint=models.UniqueConstraint(fields=("flag", "version"), name="flag_version_unique"),
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations),
        migrations.RunPython(move_content_types, move_content_types_back, elidable=True),
    ]
