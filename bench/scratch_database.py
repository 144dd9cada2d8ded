"""A throwaway database with the whole plan deployed and partitions maintained, for benchmarks.

On the server named by --db, or on an embedded cluster started with fsync on (default settings, as the
benchmarks must run; ``fsync=False`` shows the CPU cost alone).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from teams_obs.deploy import deploy_and_maintain
from teams_obs.embedded import embedded_postgres


@contextmanager
def scratch_database(server_url: str | None, name: str, *, fsync: bool = True) -> Iterator[str]:
    if server_url is None:
        with embedded_postgres(fsync=fsync) as cluster, scratch_database(cluster.url(), name) as url:
            yield url
        return
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(drop)
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = psycopg.conninfo.make_conninfo(server_url, dbname=name)
    deploy_and_maintain(url, echo=lambda _line: None)
    try:
        yield url
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(drop)


SERVER_TIMER = """
CREATE FUNCTION public.bench_server_ms(p_sql text, p_calls integer) RETURNS SETOF double precision
LANGUAGE plpgsql AS $$
DECLARE
    v_start timestamptz;
BEGIN
    FOR i IN 1 .. p_calls LOOP
        v_start := clock_timestamp();
        EXECUTE p_sql;
        RETURN NEXT 1000 * extract(epoch FROM clock_timestamp() - v_start);
    END LOOP;
END $$
"""


def server_times_ms(conn: psycopg.Connection, sql: str, calls: int) -> list[float]:
    """Execution time of ``sql`` inside the server, ``calls`` times: no network, no client in the figure."""
    if conn.execute("SELECT to_regprocedure('public.bench_server_ms(text, integer)')").fetchone()[0] is None:
        conn.execute(SERVER_TIMER)
    return [row[0] for row in conn.execute("SELECT public.bench_server_ms(%s, %s)", [sql, calls])]
