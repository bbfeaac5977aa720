"""Writing many rows in one statement, and learning which were really inserted.

Django's ``bulk_create(ignore_conflicts=True)`` does not say which rows the database skipped.
``insert_returning`` writes ``INSERT … [ON CONFLICT DO NOTHING] RETURNING …``: PostgreSQL and
SQLite (3.35 and later) both return exactly the rows inserted, so a caller that must act once
per new row (a notice, then its notifications) knows which are new without a second read and
without a race: a row another transaction inserted first is simply not returned.

On PostgreSQL the rows travel as one array per column (``unnest``), so a statement has a
handful of parameters however many rows it writes; elsewhere as ``VALUES`` lists.
``update_column`` sets one column of many rows to a value each, the same way.
"""

from django.db import connection

# Rows per statement; SQLite also caps bind parameters (32,766 from 3.32 on).
MAX_ROWS = 1_000
MAX_PARAMS = 30_000


def _arrays(fields, rows: list[dict]) -> list[list]:
    """One list of database values per field (a row's missing field gets its default)."""
    columns = []
    for field in fields:
        name = field.attname
        columns.append(
            [
                field.get_db_prep_save(
                    row[name] if name in row else field.get_default(), connection
                )
                for row in rows
            ]
        )
    return columns


def insert_returning(
    model, rows: list[dict], *, returning: tuple[str, ...], ignore_conflicts: bool = False
) -> list[tuple]:
    """Insert ``rows`` (dicts of attnames to values: ``request_id``, not ``request``) into
    ``model``'s table, at most ``MAX_ROWS`` rows a statement; return the ``returning``
    columns of the rows inserted.

    Fields a row leaves out get their model default, as ``Model.save`` would give them. With
    ``ignore_conflicts`` a row that breaks a unique constraint is skipped and not returned.
    Returned values come back as the database gives them: keep ``returning`` to integer and
    text columns.
    """
    if not rows:
        return []
    if not connection.features.can_return_rows_from_bulk_insert:  # pragma: no cover
        raise NotImplementedError("insert_returning needs INSERT … RETURNING")
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key or f.attname in rows[0]]
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
    tail = (" ON CONFLICT DO NOTHING" if ignore_conflicts else "") + (
        " RETURNING " + ", ".join(quote(opts.get_field(name).column) for name in returning)
    )
    postgres = connection.vendor == "postgresql"
    size = MAX_ROWS if postgres else max(1, min(MAX_ROWS, MAX_PARAMS // len(fields)))
    result: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            columns = _arrays(fields, chunk)
            if postgres:
                types = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
                sql = f"{head}SELECT * FROM unnest({types}){tail}"  # noqa: S608 (names quoted)
                cursor.execute(sql, columns)
            else:
                row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
                params = [value for values in zip(*columns, strict=True) for value in values]
                cursor.execute(f"{head}VALUES {', '.join([row_sql] * len(chunk))}{tail}", params)
            result.extend(tuple(r) for r in cursor.fetchall())
    return result


def update_column(model, name: str, objs: list) -> None:
    """Save the attribute ``name`` of every object in ``objs`` (``bulk_update`` for one
    column); on PostgreSQL in one ``UPDATE … FROM unnest(…)`` per ``MAX_ROWS`` objects."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, [name])
        return
    opts = model._meta
    field, pk = opts.get_field(name), opts.pk
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    sql = (
        f"UPDATE {table} SET {quote(field.column)} = v.value "  # noqa: S608 (names quoted)
        f"FROM unnest(%s::{pk.db_type(connection)}[], %s::{field.db_type(connection)}[]) "
        f"AS v(pk, value) WHERE {table}.{quote(pk.column)} = v.pk"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(objs), MAX_ROWS):
            chunk = objs[start : start + MAX_ROWS]
            cursor.execute(
                sql,
                [
                    [pk.get_db_prep_save(obj.pk, connection) for obj in chunk],
                    [field.get_db_prep_save(getattr(obj, name), connection) for obj in chunk],
                ],
            )
