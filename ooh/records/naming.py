"""How a chronology names its people, its staff and its record: as they are, or pseudonymised for
publication the way published case reviews write them ("Mother", "Baby", "Father"; staff by role and
agency; "Family C19").

Pseudonymised, no real name, date of birth, address line, postcode, username or record reference may
reach the document, free text included: every known one (the family's names and aliases, the staff's
names and usernames, the family's addresses and dates of birth, the references) is replaced wherever it
appears as a whole word, the longest first, whatever its case.

The family reference is "Family " and a letter and a number taken from a SHA-256 of the record's kind
and id: the same record always gets the same one, and nothing about the family can be read from it.
"""

import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

from ooh.accounts.models import Role, User
from ooh.people.models import Address, Person, PersonStatus, Relationship
from ooh.picture.described import relations_among

# Letters that cannot be misread as digits (no I, O, Q), as published reviews letter their families.
FAMILY_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
# The start of a display name that is a title, not a name ("Sgt Hale"): never replaced in free text.
TITLES = frozenset(
    {"sgt", "sergeant", "pc", "dc", "ds", "di", "dci", "insp", "inspector", "constable", "dr", "mr", "mrs"}
    | {"ms", "miss", "mx", "prof", "nurse", "sister", "cllr"}
)
PARENT_WORDS = {"mother_of": "Mother", "father_of": "Father", "parent_of": "Parent"}
BABY_YEARS = 2  # a child born less than this long ago is "Baby" in a published review, else "Child"
ADULT_YEARS = 18
OTHER_STAFF = "[member of staff]"  # a colleague named in a note who did not act in the record
# The references ooh gives incidents, concerns and referrals (OOH-2026-000123, CON-..., REF-...).
ANY_REFERENCE = re.compile(r"(?<!\w)(?:OOH|CON|REF)-\d{4}-\d{6}(?!\w)", re.IGNORECASE)


def sentence(text: str) -> str:
    """A capital at the start and a full stop at the end."""
    text = " ".join(text.split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else f"{text}."


def clause(text: str) -> str:
    """Free text inside a sentence: without its own full stop."""
    return text.rstrip(" .")


def family_reference(record: str, record_id: uuid.UUID) -> str:
    """'Family C19': deterministic per record, derived from its id alone."""
    digest = hashlib.sha256(f"{record}:{record_id}".encode()).digest()
    return f"Family {FAMILY_LETTERS[digest[0] % len(FAMILY_LETTERS)]}{10 + digest[1] % 90}"


@dataclass(frozen=True)
class Family:
    """The record's subjects and everyone one link from them, the links touching a subject, and every
    address they have lived at (with the record's own)."""

    subjects: list[uuid.UUID]
    people: dict[uuid.UUID, Person]
    edges: list[tuple[uuid.UUID, uuid.UUID, str]]
    addresses: list[Address] = field(default_factory=list)


def load_family(subject_ids: Iterable[uuid.UUID], address_ids: Iterable[uuid.UUID] = ()) -> Family:
    """Three queries: the links touching a subject, the people at their ends, their addresses. Ended
    links' people are in the family too (a former partner is the person most likely named in a note,
    and must be found to be pseudonymised); only links in force say how people relate."""
    subjects = list(dict.fromkeys(subject_ids))
    links = list(
        Relationship.objects.filter(Q(from_person_id__in=subjects) | Q(to_person_id__in=subjects))
        .order_by("created_at", "pk")
        .values_list("from_person_id", "to_person_id", "kind", "ended_at")
    )
    edges = [(a, b, kind) for a, b, kind, ended_at in links if ended_at is None]
    ids = set(subjects) | {a for a, _b, _k, _e in links} | {b for _a, b, _k, _e in links}
    people = Person.objects.in_bulk(list(ids))
    addresses = list(
        Address.objects.filter(
            Q(residences__person_id__in=list(ids)) | Q(pk__in=list(address_ids))
        ).distinct()
    )
    return Family(subjects=subjects, people=people, edges=edges, addresses=addresses)


def real_name(person: Person) -> str:
    """'Kerry Vale'; a baby with no given name yet is 'Baby Vale'."""
    if person.given_name:
        return person.full_name
    if person.status == PersonStatus.UNBORN or person.date_of_birth is not None:
        return f"Baby {person.family_name}"
    return person.family_name or "Unnamed person"


def _age_years(person: Person, today: date) -> float | None:
    if person.status == PersonStatus.UNBORN:
        return -1.0
    if person.date_of_birth is None:
        return None
    return (today - person.date_of_birth).days / 365.25


def _order(family: Family) -> list[Person]:
    """Subjects first, then the rest, each in the order they were recorded: numbers follow it."""
    first = {pid: index for index, pid in enumerate(family.subjects)}
    return sorted(
        family.people.values(), key=lambda p: (first.get(p.pk, len(first)), p.created_at, str(p.pk))
    )


def _focal_children(family: Family, today: date) -> list[Person]:
    """The babies the record is about: its unborn subjects, else its youngest child subject."""
    subjects = [family.people[s] for s in family.subjects if s in family.people]
    unborn = [p for p in subjects if p.status == PersonStatus.UNBORN]
    if unborn:
        return unborn
    children = {b for _a, b, kind in family.edges if kind in PARENT_WORDS}
    young = [p for p in subjects if p.pk in children and p.date_of_birth is not None]
    return sorted(young, key=lambda p: p.date_of_birth or today, reverse=True)[:1]


def _numbered(label: str, people: list[Person], names: dict[uuid.UUID, str]) -> None:
    people = [p for p in people if p.pk not in names]
    for index, person in enumerate(people, start=1):
        names[person.pk] = label if len(people) == 1 else f"{label} {index}"


def family_roles(family: Family, today: date) -> dict[uuid.UUID, str]:
    """Each person's pseudonym: the record's baby, its mother and father (a parent), its siblings
    numbered, then every other child and adult numbered ("Child 1", "Adult 1")."""
    names: dict[uuid.UUID, str] = {}
    focal = _focal_children(family, today)
    for index, child in enumerate(focal, start=1):
        age = _age_years(child, today)
        label = "Baby" if age is None or age < BABY_YEARS else "Child"
        names[child.pk] = label if len(focal) == 1 else f"{label} {index}"
    focal_ids = {p.pk for p in focal}
    ordered = _order(family)
    for kind, word in PARENT_WORDS.items():
        parents = {a for a, b, k in family.edges if k == kind and b in focal_ids}
        _numbered(word, [p for p in ordered if p.pk in parents], names)
    parents = {a for a, b, k in family.edges if k in PARENT_WORDS and b in focal_ids}
    siblings = {b for a, b, k in family.edges if k in PARENT_WORDS and a in parents}
    siblings |= {x for a, b, k in family.edges if k == "sibling_of" for x in (a, b) if {a, b} & focal_ids}
    _numbered("Sibling", [p for p in ordered if p.pk in siblings - focal_ids], names)
    rest = [p for p in ordered if p.pk not in names]
    minors = [p for p in rest if (age := _age_years(p, today)) is not None and age < ADULT_YEARS]
    _numbered("Child", minors, names)
    _numbered("Adult", [p for p in rest if p not in minors], names)
    return names


@dataclass(frozen=True)
class Staff:
    """A member of staff as the document names them."""

    id: uuid.UUID
    name: str  # as they are known: the display name, else the username
    role: str  # "Call handler"
    agency: str | None  # "Police control"
    words: tuple[str, ...]  # every spelling of them that must not reach a pseudonymised document


def load_staff(user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Staff]:
    """One query: the users with their membership and agency."""
    ids = {u for u in user_ids if u is not None}
    users = User.objects.filter(pk__in=list(ids)).select_related("membership__agency")
    return {user.pk: _staff(user) for user in users}


def _staff(user: User) -> Staff:
    agency, role = user.agency_role
    display = user.display_name.strip()
    parts = [w for w in display.split() if w.lower().strip(".") not in TITLES]
    words = {display, user.username, user.first_name, user.last_name, user.get_full_name(), *parts}
    return Staff(
        id=user.pk,
        name=display or user.username,
        role=str(Role(role).label) if role else "Member of staff",
        agency=agency.name if agency is not None else None,
        words=tuple(w for w in words if len(w.strip()) >= 2),
    )


def staff_labels(staff: Mapping[uuid.UUID, Staff], order: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """'Call handler, Police control'; two of one role and agency are numbered in order of appearance
    ('Social worker 1, North council', 'Social worker 2, North council')."""
    seen = [u for u in dict.fromkeys(order) if u in staff]
    seen += sorted((u for u in staff if u not in seen), key=str)
    groups: dict[tuple[str, str | None], list[uuid.UUID]] = {}
    for user_id in seen:
        groups.setdefault((staff[user_id].role, staff[user_id].agency), []).append(user_id)
    labels = {}
    for (role, agency), members in groups.items():
        for index, user_id in enumerate(members, start=1):
            who = role if len(members) == 1 else f"{role} {index}"
            labels[user_id] = f"{who}, {agency}" if agency else who
    return labels


def _date_spellings(day: date) -> list[str]:
    return [day.isoformat(), f"{day:%d/%m/%Y}", f"{day.day}/{day.month}/{day.year}", f"{day:%d %B %Y}",
            f"{day.day} {day:%B %Y}", f"{day:%d %b %Y}", f"{day.day} {day:%b %Y}"]  # fmt: skip


def _postcode_pattern(postcode: str) -> str:
    compact = re.sub(r"\s+", "", postcode)
    return r"\s*".join(re.escape(c) for c in compact)


class Scrubber:
    """Replaces every known spelling of a person, an address, a date of birth or a reference in free
    text; the longest first, whole words only, any case."""

    def __init__(self, replacements: Mapping[str, str], patterns: Mapping[str, str]) -> None:
        self._lookup = {key.lower(): value for key, value in replacements.items()}
        self._patterns = [(re.compile(p, re.IGNORECASE), value) for p, value in patterns.items()]
        self._after = [(ANY_REFERENCE, "[reference]")]  # one not known by name: another record's
        alternatives = sorted(self._lookup, key=len, reverse=True)
        body = "|".join(re.escape(a) for a in alternatives) or r"(?!x)x"
        self._words = re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)

    def __call__(self, text: str) -> str:
        for pattern, value in self._patterns:
            text = pattern.sub(value, text)
        text = self._words.sub(lambda m: self._lookup[m.group(0).lower()], text)
        for pattern, value in self._after:
            text = pattern.sub(value, text)
        return text


def _spellings(
    family: Family,
    people: Mapping[uuid.UUID, str],
    staff: Mapping[uuid.UUID, Staff],
    staff_names: Mapping[uuid.UUID, str],
    references: Mapping[str, str],
    family_code: str,
) -> dict[str, str]:
    """Every known spelling and what replaces it: the family's win over the staff's where they clash
    (a colleague sharing a name), and a name over a reference."""
    pairs: list[tuple[str, str]] = []
    for pid, person in family.people.items():
        pairs += [
            (w, people[pid])
            for w in (person.full_name, real_name(person), person.given_name, *person.aliases)
        ]
    pairs += [(person.family_name, family_code) for person in family.people.values()]
    pairs += [(word, staff_names[uid]) for uid, member in staff.items() for word in member.words]
    pairs += list(references.items())
    replacements: dict[str, str] = {}
    for word, value in pairs:
        if len(word.strip()) >= 2:
            replacements.setdefault(word.strip().lower(), value)
    return replacements


def _whole(pattern: str) -> str:
    return rf"(?<!\w){pattern}(?!\w)"


def _places_and_dates(family: Family) -> dict[str, str]:
    """Patterns of the family's address lines, postcodes (any spacing) and dates of birth (any usual
    spelling)."""
    patterns: dict[str, str] = {}
    for address in family.addresses:
        lines = [line.strip() for line in (address.line1, address.line2) if len(line.strip()) >= 3]
        patterns |= {_whole(re.escape(line)): "[address]" for line in lines}
        if address.postcode.strip():
            patterns[_whole(_postcode_pattern(address.postcode))] = "[postcode]"
    births = [p.date_of_birth for p in family.people.values() if p.date_of_birth is not None]
    for born in births:
        patterns |= {_whole(re.escape(spelling)): "[date of birth]" for spelling in _date_spellings(born)}
    return patterns


def build_scrubber(
    family: Family,
    people: Mapping[uuid.UUID, str],
    staff: Mapping[uuid.UUID, Staff],
    staff_names: Mapping[uuid.UUID, str],
    references: Mapping[str, str],
    family_code: str,
    other_staff: Iterable[str] = (),
) -> Scrubber:
    spellings = _spellings(family, people, staff, staff_names, references, family_code)
    for name in other_staff:  # staff who did not act but may be named in a note: full names only
        spellings.setdefault(name.strip().lower(), OTHER_STAFF)
    return Scrubber(spellings, _places_and_dates(family))


def other_staff_names() -> list[str]:
    """One query: the full names of every account ("Max Hill", "Dr Grace Lin"), for the scrubber of a
    pseudonymised document. A single given name is left alone: it cannot be told from a word."""
    names: set[str] = set()
    for display, first, last in User.objects.values_list("display_name", "first_name", "last_name"):
        for name in (display.strip(), f"{first} {last}".strip()):
            if len(name.split()) >= 2:
                names.add(name)
    return sorted(names)


class Naming:
    """Every name the document writes goes through here, so pseudonymising is one switch."""

    def __init__(
        self,
        *,
        pseudonymise: bool,
        family: Family,
        staff: Mapping[uuid.UUID, Staff],
        staff_order: Iterable[uuid.UUID],
        agencies: Mapping[uuid.UUID, str],
        references: Mapping[str, str],
        family_ref: str,
        today: date,
        other_staff: Iterable[str] = (),
    ) -> None:
        self.pseudonymise, self.family, self.staff = pseudonymise, family, dict(staff)
        self.agencies = {str(k): v for k, v in agencies.items()}
        self.references, self.family_ref = dict(references), family_ref
        self.staff_order = [u for u in dict.fromkeys(staff_order) if u in self.staff]
        self._rank = {p.pk: index for index, p in enumerate(_order(family))}
        if pseudonymise:
            self._people = family_roles(family, today)
            self._staff = staff_labels(self.staff, self.staff_order)
            code = family_ref.removeprefix("Family ")
            self._scrub: Scrubber | None = build_scrubber(
                family, self._people, self.staff, self._staff, self.references, code, other_staff
            )
        else:
            self._people = {pid: real_name(p) for pid, p in family.people.items()}
            self._staff = {uid: s.name for uid, s in self.staff.items()}
            self._scrub = None

    def person(self, person_id: object) -> str:
        found = self._people.get(uuid.UUID(str(person_id))) if person_id else None
        return found or "someone outside the family"

    def people(self, person_ids: Iterable[object]) -> str:
        """'Kerry Vale and Baby Vale'; people outside the family are counted, never named."""
        ids = [uuid.UUID(str(p)) for p in dict.fromkeys(str(p) for p in person_ids)]
        known = sorted((p for p in ids if p in self._people), key=lambda p: self._rank.get(p, 0))
        named, others = [self._people[p] for p in known], len(ids) - len(known)
        if others:
            named.append(f"{others} other {'person' if others == 1 else 'people'}")
        if len(named) <= 1:
            return named[0] if named else "nobody named"
        return f"{', '.join(named[:-1])} and {named[-1]}"

    def user(self, user_id: object) -> str:
        if not user_id:
            return "ooh"
        found = self._staff.get(uuid.UUID(str(user_id)))
        return found or "a former member of staff"

    def who(self, user_id: object) -> str:
        """'Alice (call handler, Police control)'; pseudonymised the label says it: 'Call handler,
        Police control'."""
        return self.user(user_id) if self.pseudonymise else f"{self.user(user_id)} ({self.role(user_id)})"

    def users(self, user_ids: Iterable[object]) -> str:
        """'Dana and Pat': each once, in alphabetical order (the order a notice's rows were written in
        says nothing)."""
        names = sorted(dict.fromkeys(self.user(u) for u in user_ids))
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"

    def role(self, user_id: object) -> str:
        """'call handler, Police control': how a person's role reads inside a sentence."""
        member = self.staff.get(uuid.UUID(str(user_id))) if user_id else None
        if member is None:
            return "unknown role"
        role = member.role[0].lower() + member.role[1:]
        return f"{role}, {member.agency}" if member.agency else role

    def agency_of(self, user_id: object) -> str | None:
        member = self.staff.get(uuid.UUID(str(user_id))) if user_id else None
        return member.agency if member is not None else None

    def agency(self, agency_id: object) -> str:
        return self.agencies.get(str(agency_id), "an agency") if agency_id else "an agency"

    def reference(self, reference: str) -> str:
        return self.references.get(reference, reference) if self.pseudonymise else reference

    def text(self, text: str | None) -> str:
        """Free text as the document may print it."""
        text = (text or "").strip()
        return self._scrub(text) if self._scrub is not None else text

    def relation(self, person_id: uuid.UUID) -> str:
        """How a subject relates to the other subjects: 'mother of Baby Vale' ('' if not at all)."""
        rows = [
            {"id": str(pid), "given_name": self._people[pid], "family_name": "", "status": p.status}
            for pid, p in self.family.people.items()
            if pid in self.family.subjects
        ]
        return relations_among(rows, self.family.edges).get(str(person_id), "")
