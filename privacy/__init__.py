"""The client's rights over their data: the whole record as an export, erasure, and
the retention purge. A feature app above the domain apps: it finds every row about a
client by introspection across them (privacy/records.py); none of them imports it."""
