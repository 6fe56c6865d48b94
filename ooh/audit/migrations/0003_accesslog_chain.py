"""Chain the rows written before the hash chain existed, in (at, id) order; 0004 then requires the fields.

On PostgreSQL the append-only trigger of 0002 refuses UPDATE, so it is disabled for the backfill only,
inside this migration's transaction, and enabled again before it commits.
"""

from django.db import migrations, models

from ooh.audit.chain import CHAINED_FIELDS, GENESIS_HASH, row_hash

CHUNK = 1000
TRIGGER = "audit_accesslog_append_only"


def chain_existing_rows(apps, schema_editor):
    AccessLog = apps.get_model("audit", "AccessLog")
    AccessedPerson = apps.get_model("audit", "AccessedPerson")
    connection = schema_editor.connection
    table = AccessLog._meta.db_table
    quote = connection.ops.quote_name
    update = f"UPDATE {quote(table)} SET chain_seq = %s, prev_hash = %s, hash = %s WHERE id = %s"  # noqa: S608
    fields = [name for name in CHAINED_FIELDS if name != "chain_seq"]
    rows = AccessLog.objects.order_by("at", "id").values(*fields)
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute(f"ALTER TABLE {quote(table)} DISABLE TRIGGER {TRIGGER}")
    seq, prev_hash, after = 0, GENESIS_HASH, None
    while True:
        page = rows
        if after is not None:
            page = rows.filter(models.Q(at__gt=after[0]) | models.Q(at=after[0], id__gt=after[1]))
        chunk = list(page[:CHUNK])
        if not chunk:
            break
        people = {}
        disclosed = AccessedPerson.objects.filter(log_id__in=[row["id"] for row in chunk])
        for log_id, person_id in disclosed.values_list("log_id", "person_id"):
            people.setdefault(log_id, []).append(person_id)
        updates = []
        for row in chunk:
            seq += 1
            row["chain_seq"] = seq
            prev_hash, previous = row_hash(prev_hash, row, people.get(row["id"], [])), prev_hash
            updates.append(
                (seq, previous, prev_hash, AccessLog._meta.pk.get_db_prep_value(row["id"], connection))
            )
        with connection.cursor() as cursor:
            cursor.executemany(update, updates)
        after = (chunk[-1]["at"], chunk[-1]["id"])
    if postgresql:
        schema_editor.execute(f"ALTER TABLE {quote(table)} ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [
        migrations.AddField(
            model_name="accesslog",
            name="chain_seq",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="prev_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop, elidable=False),
    ]
