"""Recompute every stored search_text in search_form (NFKC, no format characters, case folded), the form
search now folds its query into: rows stored lower-cased only would miss a query typed differently."""

from django.db import migrations

from ooh.people.search import search_form

BATCH = 2000


def _person_text(person):
    return " ".join([person.given_name, person.family_name, *(person.aliases or [])])


def _address_text(address):
    return " ".join([address.line1, address.line2, address.town, address.postcode])


def _recompute(model, fields, text_of):
    """As refresh_search_text does (a historical model has no methods), in batches."""
    changed = []
    for row in model.objects.only("pk", "search_text", *fields).order_by("pk").iterator(chunk_size=BATCH):
        folded = search_form(text_of(row))
        if folded != row.search_text:
            row.search_text = folded
            changed.append(row)
        if len(changed) >= BATCH:
            model.objects.bulk_update(changed, ["search_text"])
            changed = []
    model.objects.bulk_update(changed, ["search_text"])


def fold_search_text(apps, schema_editor):
    _recompute(apps.get_model("people", "Person"), ["given_name", "family_name", "aliases"], _person_text)
    _recompute(apps.get_model("people", "Address"), ["line1", "line2", "town", "postcode"], _address_text)


class Migration(migrations.Migration):
    dependencies = [("people", "0002_recorded_by_agency_ended_links")]

    # Backwards keeps the folded text, which the older code's lower-cased queries still match for plain
    # names (not for the few that folding changes beyond case, such as 'ß' -> 'ss').
    operations = [migrations.RunPython(fold_search_text, migrations.RunPython.noop, elidable=True)]
