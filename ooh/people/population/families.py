"""Families: household after household (singles, couples, parents and children, blended and extended
families, shared houses), with their addresses, flags and links to people in earlier families."""

import datetime
import uuid
from collections import deque

from ooh.people.models import IdentifierScheme, PersonStatus, RelationshipKind, Sex

from .draws import cumulative
from .households import Household
from .names import FAMILY_NAMES
from .records import Member, Records
from .writer import Sink

# Some source systems record each symmetric link from both sides (Kerry partner_of Dean and Dean
# partner_of Kerry): that share of families gets both rows.
BOTH_SIDES_SHARE = 0.8

# By the family's risk (0, 1, 2): mean flags per home's address, and per adult (children 0.8 times it,
# the unborn 1.2 times).
ADDRESS_FLAG_MEANS = (0.05, 0.2, 0.6)
PERSON_FLAG_MEANS = (0.11, 0.9, 2.0)
# A link to an earlier family's adult: the first kind whose bound the roll is below.
OUTSIDE_KINDS = (
    (0.7, RelationshipKind.ASSOCIATE_OF),
    (0.9, RelationshipKind.EX_PARTNER_OF),
    (1.0, RelationshipKind.CARER_OF),
)


class Population(Records):
    """Generates family after family into a Sink. All randomness comes from one seeded Random."""

    # Household kinds and their weights (shares of households, not of people).
    KINDS = cumulative(
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
        super().__init__(sink, seed=seed, agency_id=agency_id, user_id=user_id, counters=counters, now=now)
        self.recent_adults: deque[Member] = deque(maxlen=self.RECENT_ADULTS)

    def family(self) -> int:
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
        household = Household(self, rng.choice(FAMILY_NAMES))
        household.build(kind)
        self.give_addresses(household, risk)
        self.flag_members(household, risk)
        self.link_outside(household.adults, risk)
        self.recent_adults.extend(household.adults)
        return self.people - before

    def give_addresses(self, household: Household, risk: int) -> None:
        """Each home one current address (a few are of no fixed abode), flagged in the families that
        carry risk; now and then an adult's address before this one."""
        rng = self.rng
        for home in household.homes:
            if rng.random() < 0.03:
                continue
            address_id = self.address()
            for member in home:
                if member.status == PersonStatus.LIVING:
                    self.live_at(member, address_id)
            for _ in range(self.count(ADDRESS_FLAG_MEANS[risk])):
                self.flag(address_id=address_id, categories=self.address_categories, risk=risk)
        for member in household.adults:
            if rng.random() < 0.1:
                self.lived_at(member)

    def flag_members(self, household: Household, risk: int) -> None:
        """A few flags per person in the families that carry risk; a flagged child has a social care id."""
        mean = PERSON_FLAG_MEANS[risk]
        for member in household.adults:
            for _ in range(self.count(mean)):
                self.flag(person=member, categories=self.adult_categories, risk=risk)
        for member in household.children:
            n = self.count(mean * 0.8)
            if n:
                self._identifier_rows.append(
                    (member.id, IdentifierScheme.SOCIAL_CARE_ID, self.social_care_id())
                )
            for _ in range(n):
                self.flag(person=member, categories=self.child_categories, risk=risk)
        for member in household.unborn:
            for _ in range(self.count(mean * 1.2)):
                self.flag(person=member, categories=self.unborn_categories, risk=risk)

    def link_outside(self, adults: list[Member], risk: int) -> None:
        """Links to adults of earlier families: friends, associates, former partners, carers."""
        rng = self.rng
        pool = self.recent_adults
        if not pool:
            return
        for member in adults:
            seen = set()
            for _ in range(self.count(0.45 + 0.3 * risk)):
                other = pool[rng.randrange(len(pool))]
                if other.id in seen:
                    continue
                seen.add(other.id)
                roll = rng.random()
                kind = next(kind for below, kind in OUTSIDE_KINDS if roll < below)
                self.link(member, kind, other)

    def other_parent(self, parent: Member, households: list[list[Member]]) -> Member | None:
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
