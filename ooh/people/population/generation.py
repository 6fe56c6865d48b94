"""One generation run: the synthetic agency and user, a sink for this database, families until there
are enough people, a transaction per full batch, and fresh planner statistics at the end."""

import time
from dataclasses import dataclass

from django.db import connection

from ooh.accounts.actions import upsert_agency, upsert_user
from ooh.accounts.models import AgencyKind, Role
from ooh.people.models import Person

from .families import Population
from .identifiers import start_counters
from .progress import progress
from .writer import TABLES, analyze_tables, sink_for_connection

POPULATION_AGENCY = "population"
POPULATION_USER = "population"


class SeedAlreadyUsed(Exception):
    """The seed's first id is already a person in this database: all its ids would clash."""

    def __init__(self, seed: int):
        super().__init__(f"seed {seed} was already used on this database")
        self.seed = seed


@dataclass(frozen=True)
class Generated:
    """What a run wrote: rows per table (in write order), how long it took, on which database."""

    seed: int
    vendor: str
    seconds: float
    rows: dict[str, int]


def generate(*, people: int, seed: int, batch: int, show_progress: bool) -> Generated:
    """Add about `people` people (whole families, so the last one may overshoot), `batch` per transaction."""
    if Person.objects.filter(pk=Population.first_id(seed)).exists():
        raise SeedAlreadyUsed(seed)
    started = time.perf_counter()
    agency, _ = upsert_agency(code=POPULATION_AGENCY, name="Synthetic population", kind=AgencyKind.OTHER)
    user, _ = upsert_user(
        username=POPULATION_USER,
        agency=agency,
        role=Role.PRACTITIONER,
        display_name="Synthetic population",
    )
    sink = sink_for_connection()
    population = Population(
        sink, seed=seed, agency_id=agency.pk, user_id=user.pk, counters=start_counters(people)
    )
    with progress(people, show=show_progress) as bar:
        in_batch = 0
        while population.people < people:
            made = population.family()
            in_batch += made
            bar.update(made)
            if in_batch >= batch:
                sink.flush()
                in_batch = 0
        sink.flush()
    analyze_tables()
    return Generated(
        seed=seed,
        vendor=connection.vendor,
        seconds=time.perf_counter() - started,
        rows={model._meta.db_table: sink.written[model] for model, _ in TABLES},
    )
