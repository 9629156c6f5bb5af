"""Hand-written reads for the few hot paths where building and compiling a QuerySet
costs several times what the database takes to answer it (bench/RESULTS.md, issue
25): the client list's facts over a page of clients, availability's busy time, and
a booking's check of closures, time off and overlaps. Each took half a millisecond
to a few of Django building SQL, for a tenth of that in the database, on requests
the front desk and the booking API make all day. Everything else goes through the
ORM, and each of these has tests that it answers as the ORM query it replaced.

The SQL is written once per process (per shape: how many ids); values are bound as
parameters, never formatted in, and come back as the ORM would give them: each
column converted as its model field says (SQLite hands dates and times back as
text, and truth as 0 or 1). Table names come from the models.
"""

from collections.abc import Sequence

from django.db import connection
from django.db.models import Field, Model
from django.db.models.expressions import Value


def table(model: type[Model]) -> str:
    """The model's table name, quoted for the database."""
    return connection.ops.quote_name(model._meta.db_table)


def placeholders(values: Sequence) -> str:
    """One placeholder a value, for `column IN (...)` (an empty list matches nothing
    in SQL, so callers return early instead)."""
    return ", ".join(["%s"] * len(values))


def param(field: Field, value):
    """A value as the database takes it for `field` (a moment as SQLite stores it)."""
    return field.get_db_prep_value(value, connection)


def fetch(sql: str, params: Sequence, fields: Sequence[Field | None]) -> list[tuple]:
    """The rows of `sql`, the value in each column converted as `fields` says (None
    leaves a column as the database gave it)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # (column, expression, its converters) for each column that has any, as the
    # ORM's compiler applies them.
    converting = []
    for i, field in enumerate(fields):
        if field is None:
            continue
        expression = Value(None, output_field=field)
        functions = connection.ops.get_db_converters(
            expression
        ) + field.get_db_converters(connection)
        if functions:
            converting.append((i, expression, functions))
    if not converting:
        return rows
    converted = []
    for row in rows:
        row = list(row)
        for i, expression, functions in converting:
            for convert in functions:
                row[i] = convert(row[i], expression, connection)
        converted.append(tuple(row))
    return converted
