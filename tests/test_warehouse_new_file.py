"""A new warehouse starts as a copy of a file made once per process (pipeline/warehouse.py _new_warehouse_file):
it must be the warehouse the long way would have made, and a catalog that changed since the file was made must
still be the one in force."""

from dataclasses import replace

import duckdb

from pipeline import warehouse
from pipeline.catalog import load_catalog
from pipeline.warehouse import ensure_schema, sync_catalog, writer


def _shape(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Every table and view with its columns, the catalog rows and the schema and catalog digests."""
    objects = con.execute("SELECT table_name, table_type FROM information_schema.tables ORDER BY table_name").fetchall()
    columns = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns ORDER BY table_name, ordinal_position"
    ).fetchall()
    return {
        "objects": objects,
        "columns": columns,
        "measures": con.execute("SELECT * FROM catalog_measures ORDER BY number").fetchall(),
        "indicators": con.execute("SELECT * FROM catalog_indicators ORDER BY code").fetchall(),
        "meta": con.execute(
            "SELECT key, value FROM warehouse_meta WHERE key IN ('schema', 'catalog') ORDER BY key"
        ).fetchall(),
    }


def test_a_new_warehouse_from_the_kept_file_is_the_one_made_the_long_way(tmp_path):
    long_way = duckdb.connect(str(tmp_path / "long.duckdb"))
    ensure_schema(long_way)
    sync_catalog(long_way, load_catalog())
    expected = _shape(long_way)
    long_way.close()
    assert len(expected["objects"]) >= 10 and len(expected["indicators"]) > 50

    warehouse._NEW_FILES.clear()
    for name in ("first.duckdb", "second.duckdb"):  # made once, then copied
        with writer(tmp_path / name):
            pass
        con = duckdb.connect(str(tmp_path / name), read_only=True)
        assert _shape(con) == expected, name
        con.close()
    assert len(warehouse._NEW_FILES) == 1


def test_a_catalog_changed_since_the_file_was_made_is_the_one_in_force(tmp_path):
    catalog = load_catalog()
    warehouse._NEW_FILES.clear()
    with writer(tmp_path / "before.duckdb", catalog=catalog):
        pass
    first = catalog.measures[0]
    renamed = replace(catalog, measures=[replace(first, short_name="改过的简称"), *catalog.measures[1:]])
    with writer(tmp_path / "after.duckdb", catalog=renamed):
        pass
    con = duckdb.connect(str(tmp_path / "after.duckdb"), read_only=True)
    names = dict(con.execute("SELECT number, short_name FROM catalog_measures").fetchall())
    con.close()
    assert names[first.number] == "改过的简称"
    # A kept file made for another catalog (the files edited since) is brought up to date by the write cycle's own
    # sync: here the renamed catalog's file stands in for the default one.
    stale_key = next(iter(warehouse._NEW_FILES))
    stale = warehouse._NEW_FILES.pop(stale_key)
    warehouse._NEW_FILES[(stale_key[0], None)] = stale
    with writer(tmp_path / "synced.duckdb"):
        pass
    assert warehouse._NEW_FILES[(stale_key[0], None)] is stale  # the stale file was the one copied
    con = duckdb.connect(str(tmp_path / "synced.duckdb"), read_only=True)
    names = dict(con.execute("SELECT number, short_name FROM catalog_measures").fetchall())
    con.close()
    assert names[first.number] == first.short_name
