"""The read model: what a phone or a control-room screen is shown.

Composed by plain calls, top to bottom:
- linked.py: the linked picture of a person, an address or an incident's subjects (ORM, any database),
  with plans.py adding the birth plans in force;
- linked_sql.py: the same picture of a person in one PostgreSQL statement (the API's hot path);
- payload.py: a picture as the API returns it;
- snapshot.py: everything about one incident in one read, with guidance.py's prompts;
- board.py: the control room's list of incidents, what each is triaged by, a page in a fixed number of
  queries (the highest severity in each picture and the open escalations also as SQL, to filter and order).
Every shape comes from ooh/shapes.py, so the paths cannot drift apart.
"""
