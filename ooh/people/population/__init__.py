"""A synthetic population for load tests and benchmarks: households and families, their links,
addresses, identifiers and flags, in realistic proportions (manage.py generate_population).

Families are generated one at a time and written in batches (one transaction per batch), so memory
stays flat whatever the size: nothing but the current batch and a bounded pool of recent adults
(for links between families) is held. Ids are uuid4s drawn from a seeded random.Random, so rows can
reference each other without re-querying and a seed gives the same population every time.
PostgreSQL is loaded with COPY; other databases with bulk_create. Constraints stay on: every row
goes through the same checks, indexes and foreign keys as rows written by the API.

A seed can be used once per database (its ids would clash); rerun with another seed to add people.

    generation.py   one run: agency and user, batches, progress, statistics
    families.py     the households and how their members are linked
    records.py      one person, address, residence, link or flag row
    draws.py        the seeded randomness and the fixed clock
    identifiers.py  NHS numbers, postcodes, serials continuing after existing ones
    names.py        names, streets, towns
    flags.py        flag summaries, handling and category weights
    writer.py       the tables and the batch sink (COPY or bulk_create)
    progress.py     a tqdm bar, or plain lines without tqdm
"""

from .families import Population
from .generation import Generated, SeedAlreadyUsed, generate
from .identifiers import nhs_check_digit, postcode_for

__all__ = ["Generated", "Population", "SeedAlreadyUsed", "generate", "nhs_check_digit", "postcode_for"]
