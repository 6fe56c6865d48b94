"""The rows of one generated person, address, residence, link or flag, appended to the sink's batch.
Families (families.py) are built from these."""

import datetime
import uuid
from collections.abc import Iterable, Sequence
from typing import cast

from ooh.flags.models import GROUP_OF_CATEGORY, NEEDS_REVIEW_BY, Flag, FlagStatus
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

from .draws import Draws, Weighted, cumulative
from .flags import (
    ADDRESS_CATEGORIES,
    ADULT_CATEGORIES,
    CHILD_CATEGORIES,
    HANDLING,
    SEVERITIES,
    SUMMARIES,
    UNBORN_CATEGORIES,
)
from .identifiers import PNC_LETTERS, nhs_check_digit, postcode_for
from .names import FAMILY_NAMES, FEMALE_NAMES, MALE_NAMES, NICKNAMES, STREET_KINDS, STREETS, TOWNS
from .writer import Sink

# Links that read the same from both ends (families.py decides which families record both rows).
SYMMETRIC_KINDS = frozenset(
    {
        RelationshipKind.PARTNER_OF,
        RelationshipKind.EX_PARTNER_OF,
        RelationshipKind.SIBLING_OF,
        RelationshipKind.ASSOCIATE_OF,
        RelationshipKind.HOUSEHOLD_MEMBER_OF,
    }
)


class Member:
    """A generated person, as much as later links need."""

    __slots__ = ("dob_year", "family_name", "id", "sex", "status")

    def __init__(self, id: uuid.UUID, sex: Sex, family_name: str, status: str, dob_year: int) -> None:
        self.id, self.sex, self.family_name = id, sex, family_name
        self.status, self.dob_year = status, dob_year


class Records(Draws):
    """Row makers over one sink: each call draws what it needs and appends a row to the batch."""

    def __init__(
        self,
        sink: Sink,
        *,
        seed: int,
        agency_id: uuid.UUID,
        user_id: uuid.UUID,
        counters: dict[str, int],
        now: datetime.datetime | None = None,
    ) -> None:
        super().__init__(seed=seed, now=now)
        self.sink = sink
        self.agency_id, self.user_id = agency_id, user_id
        self.counters = counters
        self.people = 0
        self._edges: set[tuple[uuid.UUID, uuid.UUID, str]] = set()
        self._both_sides = False
        self.adult_categories = cumulative(ADULT_CATEGORIES)
        self.child_categories = cumulative(CHILD_CATEGORIES)
        self.unborn_categories = cumulative(UNBORN_CATEGORIES)
        self.address_categories = cumulative(ADDRESS_CATEGORIES)
        self.severities = cumulative(SEVERITIES)
        self._person_rows = sink.rows[Person]
        self._identifier_rows = sink.rows[PersonIdentifier]
        self._address_rows = sink.rows[Address]
        self._residence_rows = sink.rows[Residence]
        self._relationship_rows = sink.rows[Relationship]
        self._flag_rows = sink.rows[Flag]

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

    def address(self, *, created_days_ago: tuple[float, float] = (30, 4000)) -> uuid.UUID:
        rng = self.rng
        id = self.new_id()
        street = f"{rng.randint(1, 180)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}"
        line2 = f"Flat {rng.randint(1, 40)}" if rng.random() < 0.12 else ""
        line1, line2 = (line2, street) if line2 else (street, "")
        town = rng.choice(TOWNS)
        # ~15 addresses share a postcode unit, as in the real file.
        postcode = postcode_for(rng.randrange(max(1, self.counters["postcodes"])))
        self.counters["uprn"] += 1
        self._address_rows.append(
            (
                id,
                line1,
                line2,
                town,
                postcode,
                self.counters["uprn"] if rng.random() < 0.9 else None,
                Address.search_text_of(line1, line2, town, postcode),
                self.user_id,
                self.agency_id,
                self.moment_ago(*created_days_ago),
            )
        )
        return id

    def person(
        self,
        *,
        family_name: str,
        sex: Sex | None = None,
        age: float | None = None,  # years: everyone born is given one
        unborn: bool = False,
        deceased: bool = False,
        given_name: str | None = None,
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
            dob_year, years = expected.year, 0.0
        else:
            years = cast(float, age)  # everyone born is given an age
            status = PersonStatus.DECEASED if deceased else PersonStatus.LIVING
            dob = datetime.date.fromordinal(self.today_ordinal - int(years * 365.25) - rng.randint(0, 364))
            expected, dob_year = None, dob.year
            given = given_name or rng.choice(FEMALE_NAMES if sex == Sex.FEMALE else MALE_NAMES)
            stored_sex = Sex.UNKNOWN if rng.random() < 0.005 else sex
        aliases: list[str] = []
        if not unborn and years >= 14 and rng.random() < 0.06:
            if rng.random() < 0.5:
                aliases.append(f"{rng.choice(NICKNAMES)} {family_name}")
            else:
                aliases.append(f"{given} {rng.choice(FAMILY_NAMES)}")
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
                Person.search_text_of(given, family_name, aliases),
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
            if years >= 14 and rng.random() < (0.2 if sex == Sex.MALE else 0.07):
                identifiers.append((id, IdentifierScheme.PNC_ID, self.pnc_id(dob_year)))
        self.people += 1
        return Member(id, sex, family_name, status, dob_year)

    def live_at(
        self, member: Member, address_id: uuid.UUID, *, since_years: tuple[float, float] = (0, 15)
    ) -> None:
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

    def lived_at(self, member: Member) -> None:
        """A past address: a new one, not current."""
        until = self.days_ago(30, 3000)
        since = datetime.date.fromordinal(until.toordinal() - self.rng.randint(90, 3000))
        address = self.address(created_days_ago=(self.today_ordinal - until.toordinal() + 1, 5000))
        self._residence_rows.append((member.id, address, False, since, until, self.moment_ago(1, 3000)))

    def link(self, frm: Member, kind: str, to: Member) -> None:
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

    def parent_links(self, parents: Iterable[Member], children: Iterable[Member]) -> None:
        for parent in parents:
            kind = {
                Sex.FEMALE: RelationshipKind.MOTHER_OF,
                Sex.MALE: RelationshipKind.FATHER_OF,
            }.get(parent.sex, RelationshipKind.PARENT_OF)
            if self.rng.random() < 0.03:
                kind = RelationshipKind.PARENT_OF  # adoptive or recorded without a role
            for child in children:
                self.link(parent, kind, child)

    def sibling_links(self, children: Sequence[Member]) -> None:
        for i, older in enumerate(children):
            for younger in children[i + 1 :]:
                self.link(older, RelationshipKind.SIBLING_OF, younger)

    def flag(
        self,
        *,
        person: Member | None = None,
        address_id: uuid.UUID | None = None,
        categories: Weighted[str],
        risk: int,
    ) -> None:
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
