"""Families: household after household (singles, couples, parents and children, blended and extended
families, shared houses), with their addresses, flags and links to people in earlier families."""

from collections import deque

from ooh.people.models import IdentifierScheme, PersonStatus, RelationshipKind, Sex

from .draws import cumulative
from .names import FAMILY_NAMES
from .records import Member, Records
from .writer import Sink

# Some source systems record each symmetric link from both sides (Kerry partner_of Dean and Dean
# partner_of Kerry): that share of families gets both rows.
BOTH_SIDES_SHARE = 0.8


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

    def __init__(self, sink: Sink, *, seed: int, agency_id, user_id, counters: dict, now=None):
        super().__init__(sink, seed=seed, agency_id=agency_id, user_id=user_id, counters=counters, now=now)
        self.recent_adults = deque(maxlen=self.RECENT_ADULTS)

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
