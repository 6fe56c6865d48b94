"""One family being built, by kind: the people it makes, who lives together (one address per home) and
the links between them. families.py picks the kind, then gives the homes addresses, flags the people and
links them to earlier families.

Every draw happens in the same order as it always has: a seed gives the same population."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from random import Random
from typing import Protocol

from ooh.people.models import RelationshipKind, Sex

from .names import FAMILY_NAMES
from .records import Member


class Population(Protocol):
    """What a household asks of the population it joins (families.Population is one)."""

    rng: Random
    today: datetime.date

    def person(
        self,
        *,
        family_name: str,
        sex: Sex | None = None,
        age: float | None = None,
        unborn: bool = False,
        deceased: bool = False,
        given_name: str | None = None,
    ) -> Member: ...

    def link(self, frm: Member, kind: str, to: Member) -> None: ...

    def parent_links(self, parents: Iterable[Member], children: Iterable[Member]) -> None: ...

    def sibling_links(self, children: Sequence[Member]) -> None: ...

    def other_parent(self, parent: Member, households: list[list[Member]]) -> Member | None: ...


AgeRange = tuple[int, int]


class Household:
    """The people of one family, made by one of the kind methods named in BUILDERS."""

    def __init__(self, population: Population, family_name: str):
        self.population = population
        self.rng = population.rng
        self.family_name = family_name
        self.homes: list[list[Member]] = []  # members living together, one address each
        self.adults: list[Member] = []
        self.children: list[Member] = []
        self.unborn: list[Member] = []

    def build(self, kind: str) -> None:
        BUILDERS[kind](self)

    # -- people ----------------------------------------------------------------------------------

    def adult(
        self, age_range: AgeRange = (19, 75), sex: Sex | None = None, name: str | None = None
    ) -> Member:
        member = self.population.person(
            family_name=name or self.family_name, sex=sex, age=self.rng.randint(*age_range)
        )
        self.adults.append(member)
        return member

    def kids(self, parents: list[Member], n: int, name: str | None = None) -> list[Member]:
        """n children of these parents, no older than the youngest parent's age less 17."""
        population = self.population
        youngest = min(population.today.year - p.dob_year for p in parents)
        max_age = max(0, min(17, youngest - 17))
        made = [
            population.person(family_name=name or self.family_name, age=self.rng.randint(0, max_age))
            for _ in range(n)
        ]
        self.children.extend(made)
        population.parent_links(parents, made)
        population.sibling_links(made)
        return made

    def partners(self, age_range: AgeRange = (20, 70), *, deceased: bool = False) -> tuple[Member, Member]:
        """A woman and her partner (a man, now and then a woman) of about her age."""
        rng, population = self.rng, self.population
        a = self.adult(age_range, Sex.FEMALE)
        age = population.today.year - a.dob_year
        b = population.person(
            family_name=self.family_name if rng.random() < 0.7 else rng.choice(FAMILY_NAMES),
            sex=Sex.MALE if rng.random() < 0.95 else Sex.FEMALE,
            age=min(95, max(18, age + rng.randint(-3, 8))),
            deceased=deceased,
        )
        self.adults.append(b)
        first, second = (a, b) if rng.random() < 0.5 else (b, a)
        population.link(first, RelationshipKind.PARTNER_OF, second)
        return a, b

    def baby_on_the_way(self, parents: list[Member]) -> Member:
        baby = self.population.person(family_name=self.family_name, unborn=True)
        self.unborn.append(baby)
        self.population.parent_links(parents, [baby])
        return baby

    def n_children(self) -> int:
        return self.rng.choices((1, 2, 3, 4, 5), cum_weights=(40, 78, 92, 98, 100))[0]

    def known_parents(self, parent: Member, other: Member | None) -> list[Member]:
        """Both parents, or the one alone when the other is not known."""
        return [parent, other] if other is not None else [parent]

    # -- kinds -----------------------------------------------------------------------------------

    def single(self) -> None:
        self.homes.append([self.adult((18, 90))])

    def couple(self) -> None:
        self.homes.append(list(self.partners((20, 85))))

    def shared_house(self) -> None:
        mates = [
            self.adult((18, 40), name=self.rng.choice(FAMILY_NAMES)) for _ in range(self.rng.randint(2, 4))
        ]
        for mate in mates[1:]:
            self.population.link(mates[0], RelationshipKind.HOUSEHOLD_MEMBER_OF, mate)
        self.homes.append(mates)

    def couple_with_children(self) -> None:
        mother, father = self.partners((20, 50))
        made = self.kids([mother, father], self.n_children())
        self.homes.append([mother, father, *made])

    def expecting(self) -> None:
        mother, father = self.partners((20, 50))
        made = self.kids([mother, father], self.rng.choice((0, 0, 1, 2)))
        home = [mother, father, *made]
        baby = self.baby_on_the_way([mother, father])
        for sibling in made:
            self.population.link(sibling, RelationshipKind.SIBLING_OF, baby)
        self.homes.append(home)

    def single_parent(self) -> None:
        rng = self.rng
        parent = self.adult((18, 50), Sex.FEMALE if rng.random() < 0.88 else Sex.MALE)
        other = self.population.other_parent(parent, self.homes)
        made = self.kids(self.known_parents(parent, other), self.n_children())
        if rng.random() < 0.1:  # expecting again
            self.baby_on_the_way([parent])
        self.homes.insert(0, [parent, *made])

    def blended(self) -> None:
        mother, father = self.partners((24, 50))
        ours = self.kids([mother, father], self.rng.choice((0, 1, 1, 2)))
        home = [mother, father, *ours]
        for parent, step in ((mother, father), (father, mother)):
            if self.rng.random() < 0.8:
                home.extend(self.children_from_before(parent, step, ours))
        self.homes.insert(0, home)

    def children_from_before(self, parent: Member, step: Member, ours: list[Member]) -> list[Member]:
        """A parent's children with an ex, living with the new couple: the step-parent's household
        members and their half-siblings' siblings."""
        population = self.population
        ex = population.other_parent(parent, self.homes)
        theirs = self.kids(self.known_parents(parent, ex), self.rng.choice((1, 1, 2, 3)))
        for child in theirs:
            population.link(step, RelationshipKind.HOUSEHOLD_MEMBER_OF, child)
            for half in ours:
                population.link(child, RelationshipKind.SIBLING_OF, half)
        return theirs

    def extended(self) -> None:
        """Grandparents, their grown-up children, partners and grandchildren."""
        rng, population = self.rng, self.population
        grandmother, grandfather = self.partners((58, 85), deceased=rng.random() < 0.15)
        self.homes.append([grandmother, grandfather])
        grown = [
            population.person(family_name=self.family_name, age=rng.randint(19, 40))
            for _ in range(rng.randint(2, 4))
        ]
        self.adults.extend(grown)
        population.parent_links([grandmother, grandfather], grown)
        population.sibling_links(grown)
        for child in grown:
            self.homes.append(self.grown_child_home(child, grandmother))

    def grown_child_home(self, child: Member, grandmother: Member) -> list[Member]:
        """A grown-up child's own home: a partner now and then, and children of their own."""
        rng, population = self.rng, self.population
        home = [child]
        partner = None
        if rng.random() < 0.7:
            partner = population.person(
                family_name=rng.choice(FAMILY_NAMES),
                sex=Sex.MALE if child.sex == Sex.FEMALE else Sex.FEMALE,
                age=rng.randint(19, 42),
            )
            self.adults.append(partner)
            population.link(child, RelationshipKind.PARTNER_OF, partner)
            home.append(partner)
        n = rng.choice((0, 1, 1, 2, 2, 3))
        made = self.kids(self.known_parents(child, partner), n, name=self.family_name)
        if made and rng.random() < 0.15:
            population.link(grandmother, RelationshipKind.CARER_OF, made[0])
        home.extend(made)
        return home


# Household kind (Population.KINDS) -> what makes it.
BUILDERS: dict[str, Callable[[Household], None]] = {
    "single": Household.single,
    "couple": Household.couple,
    "couple_with_children": Household.couple_with_children,
    "single_parent": Household.single_parent,
    "expecting": Household.expecting,
    "blended": Household.blended,
    "extended": Household.extended,
    "shared_house": Household.shared_house,
}
