"""The authorisation matrix: one table of every route x method x persona x situation -> expected status.

The world is tests/vale_world.build_world() (North council's Vale family, South council's Mosses) and the night
of tonight's incident: police control (Alice) opened it for Kerry and her unborn baby, the ambulance
service is asked to attend, Sergeant Hale is the decision maker and Dana the lead professional (neither
has accepted yet), and only then was the birth plan shared with the midwives. Who sees what below is written out by hand from the policy as the README states it,
never computed by ooh.access: a table that asked the code under test could not catch it leaking.

Situations: `family` (the path names the Vale family's record), for some rows `other family` (the
Mosses' record instead: South council's case, on no incident), and `unknown` (an id never issued,
which must answer exactly as a record outside need to know does). A list has one situation, `list`, and may
also say which of the world's records each persona must find in it (a list that answers 200 can leak).

The table is written one module per area (account, records, flags, plans, prebirth, dash, casework,
incidents, oversight, after the night, sockets) over the personas of cast.py and the world of world.py; a new route gets its
row in its area's module.
"""

from .account import ROWS as ACCOUNT_ROWS
from .after import ROWS as AFTER_ROWS
from .board import ROWS as BOARD_ROWS
from .casework import ROWS as CASEWORK_ROWS
from .cast import NAMES, PERSONAS, Persona
from .dash import ROWS as DASH_ROWS
from .flags import ROWS as FLAG_ROWS
from .incidents import ROWS as INCIDENT_ROWS
from .oversight import ROWS as OVERSIGHT_ROWS
from .plans import ROWS as PLAN_ROWS
from .prebirth import ROWS as PREBIRTH_ROWS
from .records import ROWS as RECORD_ROWS
from .rows import Row
from .sockets import HELLO, SOCKET_ROWS, SocketRow
from .world import MatrixWorld, build_matrix_world

# Every HTTP route and method, one row each, area by area (tests/access/test_matrix.py checks that the
# resolver has no route without a row here, and no row without a route).
ROWS = [
    *ACCOUNT_ROWS,
    *AFTER_ROWS,
    *BOARD_ROWS,
    *RECORD_ROWS,
    *FLAG_ROWS,
    *PLAN_ROWS,
    *PREBIRTH_ROWS,
    *DASH_ROWS,
    *CASEWORK_ROWS,
    *INCIDENT_ROWS,
    *OVERSIGHT_ROWS,
]

__all__ = [
    "HELLO",
    "NAMES",
    "PERSONAS",
    "ROWS",
    "SOCKET_ROWS",
    "MatrixWorld",
    "Persona",
    "Row",
    "SocketRow",
    "build_matrix_world",
]
