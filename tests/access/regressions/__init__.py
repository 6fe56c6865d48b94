"""Issue 13's findings, each pinned by a test named after what it prevents.

Found when the service was tried as an attacker would: a user of any agency could rewrite another
family's birth plan, its people and its incidents. Each test starts from the attack, shows it is
refused the way the access policy says (404 outside need to know, 403 for a write the role may not
make, 400 naming the field for a reference the caller may not see) and that nothing was written; where
a refusal could pass for a broken endpoint, the legitimate user succeeds beside it.
"""
