"""Who may write what is one table: WRITE_RULES in ooh/access/policy.py, shown as it is in the README."""

import re
from pathlib import Path

from ooh.access import policy

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_rows():
    text = README.read_text()
    section = text[text.index("### Who may change what") : text.index("The authorisation matrix")]
    rows = [line for line in section.splitlines() if line.startswith("| ")][2:]  # past header and rule
    return [tuple(cell.strip() for cell in re.split(r" \| ", row.strip()[2:-2])) for row in rows]


def test_the_readme_shows_the_write_rules_exactly():
    assert _readme_rows() == [(record, change, who) for record, change, who, _rule in policy.WRITE_RULES]


def test_every_write_rule_names_a_function_of_the_policy():
    for _record, _change, _who, rule in policy.WRITE_RULES:
        assert callable(getattr(policy, rule, None)), rule
