"""The S1 family and the records tests share with the people tests."""

from tests.people.conftest import alice_client, s1_family  # noqa: F401  (fixtures)
