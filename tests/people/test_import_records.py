"""import_records: keyed on external ids, reruns create no duplicates, bad rows reported, good rows kept."""

import csv

import pytest
from django.core.management import CommandError, call_command

from ooh.flags.models import Flag
from ooh.people.models import Address, Person, PersonIdentifier, Relationship

pytestmark = pytest.mark.django_db


def _write(path, header, rows):
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def files(tmp_path):
    addresses = _write(
        tmp_path / "addresses.csv",
        ["external_id", "line1", "line2", "town", "postcode", "uprn"],
        [
            ["A1", "14 Larch Close", "", "Northshire", "ne3 2qx", "100012345678"],
            ["A2", "Bad Address", "", "", "NOT A POSTCODE", ""],
        ],
    )
    people = _write(
        tmp_path / "people.csv",
        [
            "external_id",
            "given_name",
            "family_name",
            "aliases",
            "date_of_birth",
            "expected_date",
            "status",
            "sex",
            "nhs_number",
            "pnc_id",
            "address_external_id",
        ],
        [
            [
                "P1",
                "Kerry",
                "Vale",
                "Kez;K Vale",
                "1999-04-02",
                "",
                "living",
                "female",
                "9434765919",
                "",
                "A1",
            ],
            ["P2", "Dean", "Vale", "", "1996-11-20", "", "living", "male", "", "96/123456X", "A1"],
            ["P3", "", "Vale", "", "", "2030-01-01", "unborn", "", "", "", ""],
            ["P4", "Born", "Already", "", "2020-01-01", "2030-01-01", "unborn", "", "", "", ""],
            ["P5", "Dup", "Licate", "", "", "", "living", "", "9434765919", "", ""],
            ["P6", "No", "Home", "", "", "", "living", "", "", "", "A2"],
        ],
    )
    relationships = _write(
        tmp_path / "relationships.csv",
        ["external_id", "from_person", "kind", "to_person"],
        [
            ["R1", "P1", "mother_of", "P3"],
            ["R2", "P2", "father_of", "P3"],
            ["R3", "P2", "father_of", "P2"],
            ["R4", "P2", "uncle_of", "P1"],
            ["R5", "P9", "partner_of", "P1"],
        ],
    )
    flags = _write(
        tmp_path / "flags.csv",
        [
            "external_id",
            "person_external_id",
            "address_external_id",
            "category",
            "severity",
            "summary",
            "handling_instructions",
            "valid_from",
            "valid_until",
            "review_by",
            "source_agency",
            "owner",
        ],
        [
            [
                "F1",
                "P2",
                "",
                "violence",
                "high",
                "Violence towards partner",
                "",
                "2026-01-01T00:00:00Z",
                "",
                "2027-01-01",
                "police",
                "",
            ],
            [
                "F2",
                "",
                "A1",
                "dangerous_animal",
                "medium",
                "Large dog",
                "Ask for the dog to be secured",
                "2026-01-01",
                "",
                "",
                "",
                "",
            ],
            [
                "F3",
                "P3",
                "",
                "unborn_child_protection_plan",
                "critical",
                "UCPP",
                "",
                "2026-01-01",
                "",
                "",
                "",
                "",
            ],
            ["F4", "P1", "A1", "other", "low", "Both subjects", "", "2026-01-01", "", "", "", ""],
            ["F5", "P1", "", "gossip", "low", "Unknown category", "", "2026-01-01", "", "", "", ""],
        ],
    )
    return [flags, relationships, people, addresses]  # any order: imported in dependency order


def _counts():
    return tuple(m.objects.count() for m in (Address, Person, PersonIdentifier, Relationship, Flag))


def _errors(path):
    with path.with_name(f"{path.stem}.errors.csv").open() as f:
        return {row["external_id"]: (int(row["line"]), row["reason"]) for row in csv.DictReader(f)}


def test_good_rows_are_kept_and_every_bad_row_is_reported_with_line_and_reason(pam, files):
    flags, relationships, people, addresses = files
    call_command("import_records", *map(str, files), "--user", "pam", verbosity=0)
    assert _counts() == (1, 3, 2, 2, 2)
    kerry = Person.objects.get(external_id="P1")
    assert kerry.aliases == ["Kez", "K Vale"]
    assert kerry.residences.get(current=True).address.postcode == "NE3 2QX"
    assert Flag.objects.get(external_id="F1").source_agency.code == "police"
    assert Flag.objects.get(external_id="F2").group == "officer_safety"

    assert _errors(addresses) == {"A2": (3, "postcode: Enter a UK postcode, e.g. 'NE1 4ST'.")}
    people_errors = _errors(people)
    assert set(people_errors) == {"P4", "P5", "P6"}
    assert people_errors["P4"][0] == 5
    assert people_errors["P4"][1].startswith("date_of_birth:")
    assert "identifiers.0.value" in people_errors["P5"][1]
    assert people_errors["P6"][1].startswith("address_external_id: no address")
    relationship_errors = _errors(relationships)
    assert relationship_errors["R3"][1].startswith("to_person:")
    assert relationship_errors["R4"][1].startswith("kind: 'uncle_of' is not one of")
    assert relationship_errors["R5"][1].startswith("from_person: no person")
    flag_errors = _errors(flags)
    assert flag_errors["F3"][1].startswith("review_by:")
    assert flag_errors["F4"][1].startswith("person_external_id: give exactly one")
    assert flag_errors["F5"][1].startswith("category:")


def test_a_rerun_creates_no_duplicates_and_applies_changes(pam, files, tmp_path):
    call_command("import_records", *map(str, files), "--user", "pam", verbosity=0)
    first = _counts()
    call_command("import_records", *map(str, files), "--user", "pam", verbosity=0)
    assert _counts() == first

    people = files[2]
    rows = list(csv.reader(people.open()))
    rows[1][2] = "Vale-Smith"  # Kerry's family name corrected at source
    _write(people, rows[0], rows[1:])
    call_command("import_records", str(people), "--user", "pam", verbosity=0)
    assert _counts() == first
    assert Person.objects.get(external_id="P1").family_name == "Vale-Smith"


def test_the_command_reports_counts(pam, files, capsys):
    call_command("import_records", *map(str, files), "--user", "pam")
    out = capsys.readouterr().out
    assert "addresses.csv (addresses): 1 created, 1 rejected" in out
    assert "people.errors.csv" in out


def test_a_file_missing_a_required_column_is_refused_before_any_row(pam, tmp_path):
    path = _write(tmp_path / "people.csv", ["external_id", "given_name"], [["P1", "Kerry"]])
    with pytest.raises(CommandError, match="missing column"):
        call_command("import_records", str(path), "--user", "pam", verbosity=0)
    assert not Person.objects.exists()


def test_only_an_admin_may_import(alice, files):
    with pytest.raises(CommandError, match="admin"):
        call_command("import_records", *map(str, files), "--user", "alice", verbosity=0)


def test_an_unrecognised_file_name_is_refused(pam, tmp_path):
    path = _write(tmp_path / "stuff.csv", ["external_id"], [])
    with pytest.raises(CommandError, match="name the file"):
        call_command("import_records", str(path), "--user", "pam", verbosity=0)
