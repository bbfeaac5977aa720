"""Writing many rows in one statement, and learning which were really inserted.

Django's ``bulk_create(ignore_conflicts=True)`` does not say which rows the database skipped.
``insert_returning`` writes ``INSERT … [ON CONFLICT DO NOTHING] RETURNING …``: PostgreSQL and
SQLite (3.35 and later) both return exactly the rows inserted, so a caller that must act once
per new row (a notice, then its notifications) knows which are new without a second read and
without a race: a row another transaction inserted first is simply not returned.

On PostgreSQL the rows travel as one array per column (``unnest``), so a statement has a
handful of parameters however many rows it writes; elsewhere as ``VALUES`` lists.
``update_columns`` sets columns of many rows to a value each, the same way; ``save_rows`` does
it with a fallback row by row, so one row the database refuses does not stop the others.
"""

from django.db import DatabaseError, connection, transaction

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


def update_columns(model, names: list[str], objs: list) -> None:
    """Save the attributes ``names`` of every object in ``objs`` (``bulk_update``); on
    PostgreSQL in one ``UPDATE … FROM unnest(…)`` per ``MAX_ROWS`` objects, which costs a few
    parameters instead of a CASE per row and column."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, names)
        return
    opts = model._meta
    pk, fields = opts.pk, [opts.get_field(name) for name in names]
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    sets = ", ".join(f"{quote(f.column)} = v.c{i}" for i, f in enumerate(fields))
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in [pk, *fields])
    aliases = ", ".join(["pk"] + [f"c{i}" for i in range(len(fields))])
    sql = (
        f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v({aliases}) "  # noqa: S608
        f"WHERE {table}.{quote(pk.column)} = v.pk"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(objs), MAX_ROWS):
            chunk = objs[start : start + MAX_ROWS]
            params = [[pk.get_db_prep_save(obj.pk, connection) for obj in chunk]]
            params += [
                [f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in chunk]
                for f in fields
            ]
            cursor.execute(sql, params)


def update_column(model, name: str, objs: list) -> None:
    """``update_columns`` for one column."""
    update_columns(model, [name], objs)


def save_rows(model, rows: list, fields: list[str], *, label, logger) -> list:
    """Save ``fields`` of ``rows`` at once (``update_columns``, in the caller's transaction);
    should that fail, save them one by one, each in its own savepoint, so one row the
    database refuses does not keep the others unsaved. Return the rows that could not be
    saved, each logged by ``label(row)``."""
    if not rows:
        return []
    try:
        with transaction.atomic():
            update_columns(model, fields, rows)
        return []
    except DatabaseError:
        logger.warning("saving %s rows at once failed; saving them one by one", len(rows))
    unsaved = []
    for row in rows:
        try:
            with transaction.atomic():
                row.save(update_fields=fields)
        except DatabaseError:
            logger.exception("%s %s could not be saved", model._meta.verbose_name, label(row))
            unsaved.append(row)
    return unsaved
