"""A synthetic population for load tests and benchmarks: households and families, their links,
addresses, identifiers and flags, in realistic proportions.

    python manage.py generate_population --people 1000000 [--seed 1] [--batch 20000]

Families are generated one at a time and written in batches (one transaction per batch), so memory
stays flat whatever --people is: nothing but the current batch and a bounded pool of recent adults
(for links between families) is held. Ids are uuid4s drawn from a seeded random.Random, so rows can
reference each other without re-querying and a seed gives the same population every time.
PostgreSQL is loaded with COPY; other databases with bulk_create. Constraints stay on: every row
goes through the same checks, indexes and foreign keys as rows written by the API.

A seed can be used once per database (its ids would clash); rerun with another seed to add people.
"""

import datetime
import json
import resource
import sys
import time
import uuid
from collections import deque
from random import Random
from types import SimpleNamespace

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Max
from django.db.models.functions import Substr
from django.utils import timezone
from tqdm import tqdm

from alerts.models import GROUP_OF_CATEGORY, NEEDS_REVIEW_BY, Flag, FlagStatus
from ooh.accounts.actions import upsert_agency, upsert_user
from ooh.accounts.models import AgencyKind, Role
from ooh.people.models import (
    Address,
    IdentifierScheme,
    Person,
    PersonIdentifier,
    PersonStatus,
    Relationship,
    RelationshipKind,
    Residence,
    Sex,
)

POPULATION_AGENCY = "population"
POPULATION_USER = "population"

# --- What the rows look like ----------------------------------------------------------------------


def _words(text: str) -> tuple:
    return tuple(text.split())


FEMALE_NAMES = _words(
    "Olivia Amelia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Willow Freya Florence Emily Ella "
    "Poppy Evie Elsie Charlotte Evelyn Sienna Sofia Daisy Phoebe Sarah Emma Laura Rebecca Hannah "
    "Jessica Amy Lauren Chloe Kerry Gemma Claire Nicola Joanne Michelle Lisa Karen Susan Helen Julie "
    "Tracey Dawn Jane Angela Margaret Patricia Linda Barbara Elizabeth Mary Jean Christine Ann Kayleigh "
    "Leanne Stacey Danielle Jade Shannon Chantelle Aaliyah Zara Amira Fatima Aisha Priya Anika Maja"
)
MALE_NAMES = _words(
    "Oliver George Noah Arthur Muhammad Leo Harry Oscar Archie Henry Theodore Freddie Jack Charlie "
    "Thomas William James Daniel Matthew Joshua Ryan Luke Adam Michael David Paul Mark Andrew Richard "
    "Stephen Christopher Peter John Robert Gary Lee Craig Darren Wayne Dean Jason Carl Shaun Kevin Ian "
    "Alan Brian Keith Colin Graham Trevor Kyle Liam Connor Callum Jordan Bradley Reece Tyler Kai "
    "Mohammed Ahmed Ali Omar Yusuf Hassan Arjun Ravi Tomasz Piotr Jakub"
)
FAMILY_NAMES = _words(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker White "
    "Roberts Green Hall Wood Jackson Clarke Patel Khan Lewis James Phillips Mason Mitchell Rose Davis "
    "Rodriguez Cox Alexander Morgan Moore Hughes Edwards Hill Harris Turner Martin Cooper Ward Morris "
    "King Baker Harrison Scott Young Allen Bell Parker Watson Bennett Carter Collins Shaw Kelly Murphy "
    "Stewart Lee Campbell Anderson Price Graham Murray Ellis Richardson Fox Marshall Lloyd Chapman "
    "Webb Simpson Holmes Mills Hunt Palmer Reid Griffiths Knight Grant Wells Dixon Burton Fletcher "
    "Hussain Ali Begum Ahmed Shah Singh Kaur Kowalski Nowak Vale Hart Armstrong Atkinson Barnes Bates "
    "Berry Booth Bradley Briggs Burns Butler Byrne Cole Cunningham Dawson Dean Doyle Duncan Elliott "
    "Ferguson Fisher Ford Foster Francis Gibson Gordon Gray Hamilton Hayes Henderson Holland Howard "
    "Hudson Hunter Jenkins Johnston Kennedy Lane Lawrence Lawson Little Lowe Matthews McDonald Miller "
    "Newman Nicholson Owen Pearce Pearson Perry Porter Powell Reynolds Riley Robertson Rogers Russell "
    "Saunders Spencer Stevens Stone Sutton Thomson Tucker Wallace Walsh Warren Watts Webster West "
    "Wheeler Whitehead Wilkinson Willis Woods Yates"
)
NICKNAMES = ("Kez", "Gaz", "Daz", "Shaz", "Tez", "Bex", "Macca", "Jonno", "Lou", "Kaz", "Mo", "Jay", "Dee")
STREETS = _words(
    "High Larch Oak Elm Station Church Victoria Mill Park Albert Queen King Chapel Bridge Grange Manor "
    "Meadow Orchard Rectory Green Willow Beech Ash Hawthorn Holly Rowan Cedar Chestnut Sycamore Maple "
    "Hazel Alder Birch Laburnum Linden Poplar Heather Primrose Bluebell Foxglove Clover Juniper "
    "Kingsway Windsor York Lancaster Durham Tyne Wear Tees Derwent Coquet Alnwick Hexham Morpeth"
)
STREET_KINDS = ("Street", "Road", "Close", "Avenue", "Lane", "Drive", "Court", "Terrace", "Way", "Gardens")
TOWNS = (
    "Newcastle upon Tyne",
    "Gateshead",
    "Sunderland",
    "Durham",
    "Middlesbrough",
    "Hartlepool",
    "Darlington",
    "Stockton-on-Tees",
    "Northshire",
    "Hexham",
    "Morpeth",
    "Blyth",
    "Ashington",
    "Cramlington",
    "Consett",
    "Chester-le-Street",
    "Washington",
    "South Shields",
    "North Shields",
    "Whitley Bay",
    "Jarrow",
    "Seaham",
    "Peterlee",
    "Bishop Auckland",
)
# Postcode areas (outward letters) and the letters allowed in the inward unit (no C I K M O V).
POSTCODE_AREAS = ("NE", "SR", "DH", "TS", "DL", "CA", "LS", "BD", "HU", "YO", "M", "L", "B", "S", "G")
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
PNC_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"

SUMMARIES = {
    "violence": ("History of violence towards partner", "Assaulted officer on arrest", "Violent when drunk"),
    "weapons": ("Known to carry a knife", "Firearms licence revoked; may have access", "Weapons at address"),
    "threats_to_staff": ("Threatened social workers", "Abusive to ambulance crews", "Threats to kill staff"),
    "dangerous_animal": ("Large dog at the address", "XL bully dog, not secured", "Aggressive dogs in yard"),
    "child_protection_plan": ("Child protection plan: neglect", "Child protection plan: physical abuse"),
    "unborn_child_protection_plan": ("Unborn child protection plan", "Pre-birth assessment: UCPP agreed"),
    "looked_after_child": ("Looked-after child (s20)", "Looked-after child, interim care order"),
    "pre_proceedings": ("Pre-proceedings (PLO) letter issued", "PLO meeting held"),
    "removal_at_birth_plan": ("Plan to remove at birth", "Removal at birth: order being sought"),
    "flight_risk": ("May leave with the baby", "Flight risk: links abroad"),
    "missing_person": ("Frequently missing from home", "Missing episodes, CSE concerns"),
    "learning_disability": ("Learning disability: needs an appropriate adult", "Learning disability"),
    "mental_health": ("Mental health crisis history", "Under the community mental health team"),
    "substance_misuse": ("Heroin user", "Alcohol dependency", "Crack cocaine use"),
    "self_harm": ("Self-harm history", "Suicidal ideation; see care plan"),
    "domestic_abuse": ("Victim of domestic abuse", "Perpetrator of domestic abuse"),
    "controlling_behaviour": ("Coercive and controlling behaviour", "Controls partner's phone and money"),
    "marac_case": ("MARAC case: high risk", "Discussed at MARAC"),
    "medical": ("Epilepsy", "Type 1 diabetes", "Oxygen in use at the address", "Heart condition"),
    "infection_risk": ("Infection risk: see handling", "Blood-borne virus risk"),
    "other": ("Hoarding at the address", "Interpreter needed", "Deaf: use text"),
}
HANDLING = (
    "Two officers to attend.",
    "Do not disclose the plan to the parents.",
    "Ask for the dog to be secured before entry.",
    "Contact the out-of-hours social worker before attending.",
    "Wear gloves.",
    "Speak to the mother alone.",
)
ADULT_CATEGORIES = (
    ("violence", 12),
    ("weapons", 5),
    ("threats_to_staff", 5),
    ("domestic_abuse", 10),
    ("controlling_behaviour", 5),
    ("marac_case", 4),
    ("mental_health", 12),
    ("substance_misuse", 10),
    ("self_harm", 6),
    ("learning_disability", 4),
    ("medical", 10),
    ("infection_risk", 3),
    ("flight_risk", 1),
    ("other", 5),
)
CHILD_CATEGORIES = (
    ("child_protection_plan", 30),
    ("looked_after_child", 12),
    ("missing_person", 10),
    ("pre_proceedings", 6),
    ("self_harm", 4),
    ("mental_health", 4),
    ("learning_disability", 8),
    ("medical", 14),
    ("other", 3),
)
UNBORN_CATEGORIES = (
    ("unborn_child_protection_plan", 50),
    ("removal_at_birth_plan", 20),
    ("pre_proceedings", 15),
    ("flight_risk", 5),
    ("medical", 10),
)
ADDRESS_CATEGORIES = (("dangerous_animal", 55), ("weapons", 15), ("infection_risk", 10), ("other", 20))
SEVERITIES = (("low", 30), ("medium", 35), ("high", 25), ("critical", 10))
# Links that read the same from both ends. Some source systems record each of them from both sides
# (Kerry partner_of Dean and Dean partner_of Kerry): that share of families gets both rows.
SYMMETRIC_KINDS = frozenset(
    {
        RelationshipKind.PARTNER_OF,
        RelationshipKind.EX_PARTNER_OF,
        RelationshipKind.SIBLING_OF,
        RelationshipKind.ASSOCIATE_OF,
        RelationshipKind.HOUSEHOLD_MEMBER_OF,
    }
)
BOTH_SIDES_SHARE = 0.8


def _cumulative(weighted):
    """(values, cumulative weights) for Random.choices."""
    values, cum, total = [], [], 0
    for value, weight in weighted:
        total += weight
        values.append(value)
        cum.append(total)
    return tuple(values), tuple(cum)


def nhs_check_digit(nine: str) -> int | None:
    """The modulus-11 check digit of the first nine digits, or None when no valid number has them."""
    check = 11 - sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True)) % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def postcode_for(k: int) -> str:
    """A UK-shaped postcode ('NE3 2QX'), the same for the same k: k picks one of a fixed set of units."""
    area = POSTCODE_AREAS[k % len(POSTCODE_AREAS)]
    k //= len(POSTCODE_AREAS)
    district = 1 + k % 29
    k //= 29
    sector = k % 10
    k //= 10
    n = len(INWARD_LETTERS)
    unit = INWARD_LETTERS[k % n] + INWARD_LETTERS[(k // n) % n]
    return f"{area}{district} {sector}{unit}"


# --- Where the rows go ----------------------------------------------------------------------------

# (model, attribute names in row order). Written in this order, so every foreign key already exists.
TABLES = (
    (
        Address,
        (
            "id",
            "line1",
            "line2",
            "town",
            "postcode",
            "uprn",
            "search_text",
            "created_by_id",
            "recorded_by_agency_id",
            "created_at",
        ),
    ),
    (
        Person,
        (
            "id",
            "given_name",
            "family_name",
            "aliases",
            "date_of_birth",
            "expected_date",
            "status",
            "sex",
            "search_text",
            "created_by_id",
            "recorded_by_agency_id",
            "created_at",
            "updated_at",
        ),
    ),
    (PersonIdentifier, ("person_id", "scheme", "value")),
    (Residence, ("person_id", "address_id", "current", "since", "until", "created_at")),
    (
        Relationship,
        ("id", "from_person_id", "to_person_id", "kind", "created_by_id", "created_at", "end_reason"),
    ),
    (
        Flag,
        (
            "id",
            "subject_person_id",
            "subject_address_id",
            "category",
            "group",
            "severity",
            "summary",
            "handling_instructions",
            "source_agency_id",
            "owner_id",
            "valid_from",
            "valid_until",
            "review_by",
            "status",
            "version",
            "revoked_at",
            "revoked_by_id",
            "revoked_reason",
            "created_by_id",
            "created_at",
            "updated_at",
        ),
    ),
)
JSON_ATTRS = {(Person, "aliases")}


class Sink:
    """Rows per table for the current batch; flush() writes them in one transaction and forgets them."""

    def __init__(self):
        self.rows = {model: [] for model, _ in TABLES}
        self.written = {model: 0 for model, _ in TABLES}

    def flush(self):
        if not any(self.rows.values()):
            return
        with transaction.atomic():
            self._write()
        for model, rows in self.rows.items():
            self.written[model] += len(rows)
            rows.clear()

    def _write(self):
        raise NotImplementedError


class CopySink(Sink):
    """PostgreSQL: COPY ... FROM STDIN per table, the fastest way in that still checks every constraint."""

    def __init__(self):
        super().__init__()
        quote = connection.ops.quote_name
        self.statements = {}
        for model, attrs in TABLES:
            columns = {f.attname: f.column for f in model._meta.concrete_fields}
            cols = ", ".join(quote(columns[a]) for a in attrs)
            self.statements[model] = f"COPY {quote(model._meta.db_table)} ({cols}) FROM STDIN"
        self.json_index = {
            model: [i for i, a in enumerate(attrs) if (model, a) in JSON_ATTRS] for model, attrs in TABLES
        }

    def _write(self):
        with connection.cursor() as cursor:
            # Safe for a bulk load: a crash loses at most the last batches, never consistency.
            cursor.execute("SET LOCAL synchronous_commit = off")
            for model, _attrs in TABLES:
                rows = self.rows[model]
                if not rows:
                    continue
                json_index = self.json_index[model]
                with cursor.copy(self.statements[model]) as copy:
                    if json_index:
                        for row in rows:
                            row = list(row)
                            for i in json_index:
                                row[i] = json.dumps(row[i])
                            copy.write_row(row)
                    else:
                        for row in rows:
                            copy.write_row(row)


class BulkCreateSink(Sink):
    """Any other database (SQLite for tests and the laptop demo): bulk_create, same rows."""

    def _write(self):
        for model, attrs in TABLES:
            rows = self.rows[model]
            if rows:
                model.objects.bulk_create([model(**dict(zip(attrs, row, strict=True))) for row in rows])


# --- The population -------------------------------------------------------------------------------


class Member:
    """A generated person, as much as later links need."""

    __slots__ = ("dob_year", "family_name", "id", "sex", "status")

    def __init__(self, id, sex, family_name, status, dob_year):
        self.id, self.sex, self.family_name = id, sex, family_name
        self.status, self.dob_year = status, dob_year


class Population:
    """Generates family after family into a Sink. All randomness comes from one seeded Random."""

    # Household kinds and their weights (shares of households, not of people).
    KINDS = _cumulative(
        (
            ("single", 26),
            ("couple", 20),
            ("couple_with_children", 24),
            ("single_parent", 12),
            ("expecting", 6),
            ("blended", 5),
            ("extended", 4),
            ("shared_house", 3),
        )
    )
    RECENT_ADULTS = 20_000  # bounded pool of earlier adults that new families may link to

    def __init__(self, sink: Sink, *, seed: int, agency_id, user_id, counters: dict, now=None):
        self.sink = sink
        # Reproducible on purpose: synthetic data, never secrets.
        self.rng = Random(seed)  # noqa: S311
        self.ids = Random(f"{seed}:ids")  # noqa: S311
        self.agency_id, self.user_id = agency_id, user_id
        self.now = now or timezone.now()
        self.now_ts = self.now.timestamp()
        self.today = timezone.localdate(self.now)
        self.today_ordinal = self.today.toordinal()
        self.counters = counters
        self.recent_adults = deque(maxlen=self.RECENT_ADULTS)
        self.people = 0
        self._edges, self._both_sides = set(), False
        self.adult_categories = _cumulative(ADULT_CATEGORIES)
        self.child_categories = _cumulative(CHILD_CATEGORIES)
        self.unborn_categories = _cumulative(UNBORN_CATEGORIES)
        self.address_categories = _cumulative(ADDRESS_CATEGORIES)
        self.severities = _cumulative(SEVERITIES)
        self._person_rows = sink.rows[Person]
        self._identifier_rows = sink.rows[PersonIdentifier]
        self._address_rows = sink.rows[Address]
        self._residence_rows = sink.rows[Residence]
        self._relationship_rows = sink.rows[Relationship]
        self._flag_rows = sink.rows[Flag]

    @staticmethod
    def first_id(seed: int) -> uuid.UUID:
        return uuid.UUID(int=Random(f"{seed}:ids").getrandbits(128), version=4)  # noqa: S311

    # -- small helpers ---------------------------------------------------------------------------

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.ids.getrandbits(128), version=4)

    def pick(self, cumulative):
        values, cum = cumulative
        return self.rng.choices(values, cum_weights=cum)[0]

    def days_ago(self, low: int, high: int) -> datetime.date:
        return datetime.date.fromordinal(self.today_ordinal - self.rng.randint(low, high))

    def moment_ago(self, low_days: float, high_days: float) -> datetime.datetime:
        seconds = self.rng.uniform(low_days, high_days) * 86400
        return datetime.datetime.fromtimestamp(self.now_ts - seconds, tz=datetime.UTC)

    def count(self, mean: float) -> int:
        """A geometric count with this mean: most people none or one, a few many."""
        if mean <= 0:
            return 0
        p, n = mean / (1 + mean), 0
        while self.rng.random() < p:
            n += 1
        return n

    # -- identifiers -----------------------------------------------------------------------------

    def nhs_number(self) -> str:
        while True:
            nine = str(self.counters["nhs"])
            self.counters["nhs"] += 1
            check = nhs_check_digit(nine)
            if check is not None:
                return f"{nine}{check}"

    def pnc_id(self, birth_year: int) -> str:
        serial = self.counters["pnc"]
        self.counters["pnc"] += 1
        year = min(self.today.year, birth_year + self.rng.randint(14, 40)) % 100
        letter = PNC_LETTERS[int(f"{year:02d}{serial:07d}") % 23]
        return f"{year:02d}/{serial:07d}{letter}"

    def social_care_id(self) -> str:
        serial = self.counters["sc"]
        self.counters["sc"] += 1
        return f"SC{serial:08d}"

    # -- rows --------------------------------------------------------------------------------------

    def address(self, *, created_days_ago=(30, 4000)) -> uuid.UUID:
        rng = self.rng
        id = self.new_id()
        street = f"{rng.randint(1, 180)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}"
        line2 = f"Flat {rng.randint(1, 40)}" if rng.random() < 0.12 else ""
        line1, line2 = (line2, street) if line2 else (street, "")
        town = rng.choice(TOWNS)
        # ~15 addresses share a postcode unit, as in the real file.
        postcode = postcode_for(rng.randrange(max(1, self.counters["postcodes"])))
        self.counters["uprn"] += 1
        ns = SimpleNamespace(line1=line1, line2=line2, town=town, postcode=postcode)
        Address.refresh_search_text(ns)
        self._address_rows.append(
            (
                id,
                line1,
                line2,
                town,
                postcode,
                self.counters["uprn"] if rng.random() < 0.9 else None,
                ns.search_text,
                self.user_id,
                self.agency_id,
                self.moment_ago(*created_days_ago),
            )
        )
        return id

    def person(
        self, *, family_name, sex=None, age=None, unborn=False, deceased=False, given_name=None
    ) -> Member:
        """A person aged `age` years (or an unborn child), with identifiers."""
        rng = self.rng
        id = self.new_id()
        if sex is None:
            sex = Sex.FEMALE if rng.random() < 0.5 else Sex.MALE
        if unborn:
            status, dob, expected = (
                PersonStatus.UNBORN,
                None,
                self.today + datetime.timedelta(rng.randint(1, 240)),
            )
            given = ""
            stored_sex = sex if rng.random() < 0.3 else None
            dob_year = expected.year
        else:
            status = PersonStatus.DECEASED if deceased else PersonStatus.LIVING
            dob = datetime.date.fromordinal(self.today_ordinal - int(age * 365.25) - rng.randint(0, 364))
            expected, dob_year = None, dob.year
            given = given_name or rng.choice(FEMALE_NAMES if sex == Sex.FEMALE else MALE_NAMES)
            stored_sex = Sex.UNKNOWN if rng.random() < 0.005 else sex
        aliases = []
        if not unborn and age >= 14 and rng.random() < 0.06:
            if rng.random() < 0.5:
                aliases.append(f"{rng.choice(NICKNAMES)} {family_name}")
            else:
                aliases.append(f"{given} {rng.choice(FAMILY_NAMES)}")
        ns = SimpleNamespace(given_name=given, family_name=family_name, aliases=aliases)
        Person.refresh_search_text(ns)
        created_ts = self.now_ts - rng.uniform(1, 200 if unborn else 3650) * 86400
        created = datetime.datetime.fromtimestamp(created_ts, tz=datetime.UTC)
        updated = (
            created
            if rng.random() < 0.7
            else datetime.datetime.fromtimestamp(rng.uniform(created_ts, self.now_ts), tz=datetime.UTC)
        )
        self._person_rows.append(
            (
                id,
                given,
                family_name,
                aliases,
                dob,
                expected,
                status,
                stored_sex,
                ns.search_text,
                self.user_id,
                self.agency_id,
                created,
                updated,
            )
        )
        if not unborn:
            identifiers = self._identifier_rows
            if rng.random() < 0.94:
                identifiers.append((id, IdentifierScheme.NHS_NUMBER, self.nhs_number()))
            if age >= 14 and rng.random() < (0.2 if sex == Sex.MALE else 0.07):
                identifiers.append((id, IdentifierScheme.PNC_ID, self.pnc_id(dob_year)))
        self.people += 1
        return Member(id, sex, family_name, status, dob_year)

    def live_at(self, member: Member, address_id, *, since_years=(0, 15)):
        since = self.days_ago(int(since_years[0] * 365), int(since_years[1] * 365) + 30)
        self._residence_rows.append(
            (
                member.id,
                address_id,
                True,
                since,
                None,
                self.moment_ago(0, max(1, self.today_ordinal - since.toordinal())),
            )
        )

    def lived_at(self, member: Member):
        """A past address: a new one, not current."""
        until = self.days_ago(30, 3000)
        since = datetime.date.fromordinal(until.toordinal() - self.rng.randint(90, 3000))
        address = self.address(created_days_ago=(self.today_ordinal - until.toordinal() + 1, 5000))
        self._residence_rows.append((member.id, address, False, since, until, self.moment_ago(1, 3000)))

    def link(self, frm: Member, kind: str, to: Member):
        """One row, and for a symmetric kind in a family recorded from both sides, its mirror too."""
        symmetric = kind in SYMMETRIC_KINDS
        key = (min(frm.id, to.id), max(frm.id, to.id), kind) if symmetric else (frm.id, to.id, kind)
        if key in self._edges:
            return
        self._edges.add(key)
        created = self.moment_ago(0, 3000)
        self._relationship_rows.append((self.new_id(), frm.id, to.id, kind, self.user_id, created, ""))
        if symmetric and self._both_sides:
            self._relationship_rows.append((self.new_id(), to.id, frm.id, kind, self.user_id, created, ""))

    def parent_links(self, parents, children):
        for parent in parents:
            kind = {
                Sex.FEMALE: RelationshipKind.MOTHER_OF,
                Sex.MALE: RelationshipKind.FATHER_OF,
            }.get(parent.sex, RelationshipKind.PARENT_OF)
            if self.rng.random() < 0.03:
                kind = RelationshipKind.PARENT_OF  # adoptive or recorded without a role
            for child in children:
                self.link(parent, kind, child)

    def sibling_links(self, children):
        for i, older in enumerate(children):
            for younger in children[i + 1 :]:
                self.link(older, RelationshipKind.SIBLING_OF, younger)

    def flag(self, *, person: Member | None = None, address_id=None, categories, risk: int):
        rng = self.rng
        category = self.pick(categories)
        severity = self.pick(self.severities)
        if risk >= 2 and severity == "low" and rng.random() < 0.6:
            severity = "high"
        review_by = None
        if severity in NEEDS_REVIEW_BY or rng.random() < 0.3:
            review_by = datetime.date.fromordinal(self.today_ordinal + rng.randint(-20, 365))
        valid_from = self.moment_ago(3, 1500)
        valid_until = None
        roll = rng.random()
        if roll < 0.06:  # expired: ended between its start and yesterday
            age = (self.now - valid_from).total_seconds() / 86400
            valid_until = self.moment_ago(1, max(1.5, age - 1))
            if valid_until <= valid_from:
                valid_until = valid_from + datetime.timedelta(hours=1)
        elif roll < 0.20:  # ends in the future
            valid_until = self.now + datetime.timedelta(days=rng.randint(7, 730))
        status, version, revoked_at, revoked_by, revoked_reason = FlagStatus.ACTIVE, 1, None, None, ""
        updated = valid_from
        if rng.random() < 0.03:
            status, version = FlagStatus.REVOKED, 2
            revoked_at = self.moment_ago(0, max(0.01, (self.now - valid_from).total_seconds() / 86400 - 0.01))
            revoked_by, revoked_reason = self.user_id, "Recorded in error"
            updated = revoked_at
        self._flag_rows.append(
            (
                self.new_id(),
                person.id if person is not None else None,
                address_id,
                category,
                GROUP_OF_CATEGORY[category],
                severity,
                rng.choice(SUMMARIES[category]),
                rng.choice(HANDLING) if rng.random() < 0.25 else "",
                self.agency_id,
                self.user_id,
                valid_from,
                valid_until,
                review_by,
                status,
                version,
                revoked_at,
                revoked_by,
                revoked_reason,
                self.user_id,
                valid_from,
                updated,
            )
        )

    # -- families ----------------------------------------------------------------------------------

    def family(self):
        """One household (and, for some kinds, the relatives living elsewhere). Returns people made."""
        before = self.people
        rng = self.rng
        kind = self.pick(self.KINDS)
        # Links made for this family (every link has a member of it at one end, so none can repeat
        # a link made for an earlier family), and whether its source records each link from both sides.
        self._edges = set()
        self._both_sides = rng.random() < BOTH_SIDES_SHARE
        # Most families have no flags; a few carry most of them.
        roll = rng.random()
        risk = 0 if roll < 0.66 else 1 if roll < 0.91 else 2
        family_name = rng.choice(FAMILY_NAMES)
        households = []  # [members] living together, one address each
        adults, children, unborn = [], [], []

        def adult(age_range=(19, 75), sex=None, name=None):
            member = self.person(family_name=name or family_name, sex=sex, age=rng.randint(*age_range))
            adults.append(member)
            return member

        def kids(parents, n, name=None):
            """n children of these parents, no older than the youngest parent's age less 17."""
            made = []
            youngest = min(self.today.year - p.dob_year for p in parents)
            max_age = max(0, min(17, youngest - 17))
            for _ in range(n):
                made.append(self.person(family_name=name or family_name, age=rng.randint(0, max_age)))
            children.extend(made)
            self.parent_links(parents, made)
            self.sibling_links(made)
            return made

        def couple(age_range=(20, 70), *, deceased=False):
            """A woman and her partner (a man, now and then a woman) of about her age."""
            a = adult(age_range, Sex.FEMALE)
            age = self.today.year - a.dob_year
            b = self.person(
                family_name=family_name if rng.random() < 0.7 else rng.choice(FAMILY_NAMES),
                sex=Sex.MALE if rng.random() < 0.95 else Sex.FEMALE,
                age=min(95, max(18, age + rng.randint(-3, 8))),
                deceased=deceased,
            )
            adults.append(b)
            first, second = (a, b) if rng.random() < 0.5 else (b, a)
            self.link(first, RelationshipKind.PARTNER_OF, second)
            return a, b

        def n_children():
            return rng.choices((1, 2, 3, 4, 5), cum_weights=(40, 78, 92, 98, 100))[0]

        if kind == "single":
            households.append([adult((18, 90))])
        elif kind == "couple":
            households.append(list(couple((20, 85))))
        elif kind == "shared_house":
            mates = [adult((18, 40), name=rng.choice(FAMILY_NAMES)) for _ in range(rng.randint(2, 4))]
            for i in range(1, len(mates)):
                self.link(mates[0], RelationshipKind.HOUSEHOLD_MEMBER_OF, mates[i])
            households.append(mates)
        elif kind in ("couple_with_children", "expecting"):
            mother, father = couple((20, 50))
            made = kids(
                [mother, father], n_children() if kind == "couple_with_children" else rng.choice((0, 0, 1, 2))
            )
            home = [mother, father, *made]
            if kind == "expecting":
                baby = self.person(family_name=family_name, unborn=True)
                unborn.append(baby)
                self.parent_links([mother, father], [baby])
                for sibling in made:
                    self.link(sibling, RelationshipKind.SIBLING_OF, baby)
            households.append(home)
        elif kind == "single_parent":
            parent = adult((18, 50), Sex.FEMALE if rng.random() < 0.88 else Sex.MALE)
            other = self.other_parent(parent, households)
            made = kids([parent, other] if other is not None else [parent], n_children())
            if rng.random() < 0.1:  # expecting again
                baby = self.person(family_name=family_name, unborn=True)
                unborn.append(baby)
                self.parent_links([parent], [baby])
            households.insert(0, [parent, *made])
        elif kind == "blended":
            mother, father = couple((24, 50))
            ours = kids([mother, father], rng.choice((0, 1, 1, 2)))
            home = [mother, father, *ours]
            for parent in (mother, father):
                if rng.random() < 0.8:
                    ex = self.other_parent(parent, households)
                    theirs = kids([parent, ex] if ex is not None else [parent], rng.choice((1, 1, 2, 3)))
                    step = father if parent is mother else mother
                    for child in theirs:
                        self.link(step, RelationshipKind.HOUSEHOLD_MEMBER_OF, child)
                        for half in ours:
                            self.link(child, RelationshipKind.SIBLING_OF, half)
                    home.extend(theirs)
            households.insert(0, home)
        else:  # extended: grandparents, their grown-up children, partners and grandchildren
            grandmother, grandfather = couple((58, 85), deceased=rng.random() < 0.15)
            households.append([grandmother, grandfather])
            grown = []
            for _ in range(rng.randint(2, 4)):
                grown.append(self.person(family_name=family_name, age=rng.randint(19, 40)))
            adults.extend(grown)
            self.parent_links([grandmother, grandfather], grown)
            self.sibling_links(grown)
            for child in grown:
                home = [child]
                partner = None
                if rng.random() < 0.7:
                    partner = self.person(
                        family_name=rng.choice(FAMILY_NAMES),
                        sex=Sex.MALE if child.sex == Sex.FEMALE else Sex.FEMALE,
                        age=rng.randint(19, 42),
                    )
                    adults.append(partner)
                    self.link(child, RelationshipKind.PARTNER_OF, partner)
                    home.append(partner)
                n = rng.choice((0, 1, 1, 2, 2, 3))
                made = kids([child, partner] if partner is not None else [child], n, name=family_name)
                if made and rng.random() < 0.15:
                    self.link(grandmother, RelationshipKind.CARER_OF, made[0])
                home.extend(made)
                households.append(home)

        # Addresses: each household one current address (a few are of no fixed abode).
        for home in households:
            if rng.random() < 0.03:
                continue
            address_id = self.address()
            for member in home:
                if member.status == PersonStatus.LIVING:
                    self.live_at(member, address_id)
            for _ in range(self.count((0.05, 0.2, 0.6)[risk])):
                self.flag(address_id=address_id, categories=self.address_categories, risk=risk)
        for member in adults:
            if rng.random() < 0.1:
                self.lived_at(member)

        # Flags: a few per person in the families that carry risk.
        mean = (0.11, 0.9, 2.0)[risk]
        for member in adults:
            for _ in range(self.count(mean)):
                self.flag(person=member, categories=self.adult_categories, risk=risk)
        for member in children:
            n = self.count(mean * 0.8)
            if n:
                self._identifier_rows.append(
                    (member.id, IdentifierScheme.SOCIAL_CARE_ID, self.social_care_id())
                )
            for _ in range(n):
                self.flag(person=member, categories=self.child_categories, risk=risk)
        for member in unborn:
            for _ in range(self.count(mean * 1.2)):
                self.flag(person=member, categories=self.unborn_categories, risk=risk)

        # Links outside the family: friends, associates, former partners, carers.
        pool = self.recent_adults
        for member in adults:
            if not pool:
                break
            n = self.count(0.45 + 0.3 * risk)
            seen = set()
            for _ in range(n):
                other = pool[rng.randrange(len(pool))]
                if other.id in seen:
                    continue
                seen.add(other.id)
                roll = rng.random()
                kind = (
                    RelationshipKind.ASSOCIATE_OF
                    if roll < 0.7
                    else RelationshipKind.EX_PARTNER_OF
                    if roll < 0.9
                    else RelationshipKind.CARER_OF
                )
                self.link(member, kind, other)
        pool.extend(adults)
        return self.people - before

    def other_parent(self, parent: Member, households) -> Member | None:
        """The children's other parent: an earlier adult, someone new living elsewhere, or unknown."""
        rng = self.rng
        roll = rng.random()
        sex = Sex.MALE if parent.sex == Sex.FEMALE else Sex.FEMALE
        pool = self.recent_adults
        other = None
        if roll < 0.25 and pool:
            for _ in range(3):  # someone of the other sex from an earlier family, if one comes up
                candidate = pool[rng.randrange(len(pool))]
                if candidate.sex == sex:
                    other = candidate
                    break
        if other is None:
            if roll >= 0.8:
                return None  # not known
            other = self.person(family_name=rng.choice(FAMILY_NAMES), sex=sex, age=rng.randint(19, 55))
            households.append([other])  # lives elsewhere
        self.link(other, RelationshipKind.EX_PARTNER_OF, parent)
        return other


def _start_counters(people_expected: int) -> dict:
    """Identifier serials continue after those already in the database, so reruns never clash."""
    nhs = PersonIdentifier.objects.filter(
        scheme=IdentifierScheme.NHS_NUMBER,
        value__gte="9000000000",
        value__lte="9999999999",
        value__regex=r"^9[0-9]{9}$",
    ).aggregate(m=Max("value"))["m"]
    pnc = (
        PersonIdentifier.objects.filter(
            scheme=IdentifierScheme.PNC_ID, value__regex=r"^[0-9]{2}/[0-9]{7}[A-Z]$"
        )
        .annotate(serial=Substr("value", 4, 7))
        .aggregate(m=Max("serial"))["m"]
    )
    sc = PersonIdentifier.objects.filter(
        scheme=IdentifierScheme.SOCIAL_CARE_ID, value__regex=r"^SC[0-9]{8}$"
    ).aggregate(m=Max("value"))["m"]
    uprn = Address.objects.aggregate(m=Max("uprn"))["m"]
    return {
        "nhs": int(nhs[:9]) + 1 if nhs else 900_000_000,
        "pnc": int(pnc) + 1 if pnc else 1,
        "sc": int(sc[2:]) + 1 if sc else 1,
        "uprn": max(uprn or 0, 100_000_000_000),
        # Postcode units in use: about one per 15 addresses, at least a few hundred.
        "postcodes": max(300, people_expected * 45 // 100 // 15),
    }


def _peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class Command(BaseCommand):
    help = (
        "Generate a synthetic population (families, links, addresses, identifiers, flags) for load tests. "
        "Streams in batches; memory does not grow with --people. Use a new --seed to add more people."
    )

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, required=True, help="How many people to add (about).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; one use per database.")
        parser.add_argument(
            "--batch", type=int, default=20_000, help="People per transaction (memory grows with this)."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar, even on a terminal.")

    def handle(self, *args, people, seed, batch, no_progress, **options):
        if people < 1:
            raise CommandError("--people must be at least 1")
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        if Person.objects.filter(pk=Population.first_id(seed)).exists():
            raise CommandError(f"--seed {seed} was already used on this database; pick another seed")
        started = time.perf_counter()
        agency, _ = upsert_agency(code=POPULATION_AGENCY, name="Synthetic population", kind=AgencyKind.OTHER)
        user, _ = upsert_user(
            username=POPULATION_USER,
            agency=agency,
            role=Role.PRACTITIONER,
            display_name="Synthetic population",
        )
        postgres = connection.vendor == "postgresql"
        sink = CopySink() if postgres else BulkCreateSink()
        population = Population(
            sink, seed=seed, agency_id=agency.pk, user_id=user.pk, counters=_start_counters(people)
        )
        show = not no_progress and sys.stderr.isatty() and options.get("verbosity", 1) > 0
        with tqdm(total=people, desc="people", unit=" people", disable=not show, smoothing=0.05) as bar:
            in_batch = 0
            while population.people < people:
                made = population.family()
                in_batch += made
                bar.update(made)
                if in_batch >= batch:
                    sink.flush()
                    in_batch = 0
            sink.flush()
        if postgres:
            with connection.cursor() as cursor:
                for model, _ in TABLES:
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        elapsed = time.perf_counter() - started
        self.stdout.write(f"generated in {elapsed:.1f} s (seed {seed}, {connection.vendor})")
        for model, _ in TABLES:
            self.stdout.write(f"  {model._meta.db_table:<26} {sink.written[model]:>10,} rows")
        total = sum(sink.written.values())
        self.stdout.write(f"  {'total':<26} {total:>10,} rows ({total / max(elapsed, 1e-9):,.0f} rows/s)")
        self.stdout.write(f"peak RSS {_peak_rss_kib() / 1024:.1f} MiB")
