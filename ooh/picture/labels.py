"""How the picture names things for people: a person with how they relate to the subjects, an address on
one line, a flag as "whose: what, how severe". Text meant for people never carries an enum's value;
every choice is read through its label (the TextChoices in the models)."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from ooh.flags.models import FlagCategory, FlagGroup, Severity
from ooh.people.models import PersonStatus


def full_name(person: Mapping[str, Any]) -> str:
    """A person row's name as it is read out: given and family name."""
    return " ".join(p for p in (person.get("given_name"), person.get("family_name")) if p) or "Unnamed person"


def user_name(user: Mapping[str, Any]) -> str:
    """A user row as people read it: the display name, else the username."""
    return str(user.get("display_name") or user.get("username") or "someone")


def person_label(person: Mapping[str, Any], relation: str | None) -> str:
    """'Dean Vale, father of the unborn child'; a subject is named alone, an unborn one with its date."""
    name = full_name(person)
    if relation:
        return f"{name}, {relation}"
    if person.get("status") == PersonStatus.UNBORN:
        expected = person.get("expected_date")
        when = f", expected {date.fromisoformat(expected):%d %b %Y}" if expected else ""
        return f"{name}, unborn{when}"
    return name


def address_line(address: Mapping[str, Any]) -> str:
    """'14 Harbour Row, Flat 2, Vale VA1 1AA'."""
    place = " ".join(p for p in (address.get("town"), address.get("postcode")) if p)
    return ", ".join(p for p in (address.get("line1"), address.get("line2"), place) if p)


# Read on every flag of every picture: plain dicts, not an enum lookup per flag.
CATEGORY_LABELS = {str(value): str(label) for value, label in FlagCategory.choices}
GROUP_LABELS = {str(value): str(label) for value, label in FlagGroup.choices}
SEVERITY_LABELS = {str(value): str(label) for value, label in Severity.choices}
# A category inside a sentence: lower case, but a MARAC case keeps its capitals.
CATEGORY_WORDS = {
    value: label if label.startswith("MARAC") else label.lower() for value, label in CATEGORY_LABELS.items()
}


def category_label(category: str) -> str:
    return CATEGORY_LABELS[category]


def group_label(group: str) -> str:
    return GROUP_LABELS[group]


def severity_label(severity: str) -> str:
    return SEVERITY_LABELS[severity]


def flag_what(flag: Mapping[str, Any]) -> str:
    """'threats to staff, critical'."""
    return f"{CATEGORY_WORDS[flag['category']]}, {SEVERITY_LABELS[flag['severity']].lower()}"


def home_label(
    address: Mapping[str, Any],
    residents: list[str],
    people: Mapping[str, Mapping[str, Any]],
    relations: Mapping[str, str],
    subjects: set[str],
) -> str:
    """The address on one line; where none of the subjects lives there, whose home it is."""
    line = address_line(address)
    if not residents or subjects & set(residents):
        return line
    whose = " and ".join(person_label(people[r], relations.get(r)) for r in residents if r in people)
    return f"{line}, home of {whose}" if whose else line


def label_flags(
    flags: list[dict[str, Any]],
    people: Mapping[str, Mapping[str, Any]],
    relations: Mapping[str, str],
    addresses: Mapping[str, str],
) -> None:
    """Add subject_label, group_label, category_label and severity_label to each flag row, in place.

    `people` are person rows by id, `relations` each member's relation to the subjects (a subject has
    none), `addresses` each address's label by id (home_label)."""
    for flag in flags:
        person_id, address_id = flag.get("subject_person"), flag.get("subject_address")
        if person_id is not None and person_id in people:
            flag["subject_label"] = person_label(people[person_id], relations.get(person_id))
        elif address_id is not None and address_id in addresses:
            flag["subject_label"] = addresses[address_id]
        else:
            flag["subject_label"] = "Someone in the picture"
        flag["group_label"] = GROUP_LABELS[flag["group"]]
        flag["category_label"] = CATEGORY_LABELS[flag["category"]]
        flag["severity_label"] = SEVERITY_LABELS[flag["severity"]]
