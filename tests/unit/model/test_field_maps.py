"""The declarative field maps are consistent with each other and with the schema."""

from __future__ import annotations

import pytest

from crossfoot.config import CRM_MAPPABLE, ERP_MAPPABLE, EVENT_KEY
from crossfoot.model.load import SQL_TYPE
from crossfoot.model.mapping import SYSTEMS, SystemMap
from crossfoot.model.schema import CANONICAL

MAPPABLE = {"salesforce": CRM_MAPPABLE, "netsuite": ERP_MAPPABLE, "fx": {}}


@pytest.mark.parametrize("smap", SYSTEMS.values(), ids=list(SYSTEMS))
def test_tables_objects_and_relations_agree(smap: SystemMap):
    objects = {o.name for o in smap.objects}
    bases = [t.base for t in smap.tables]
    assert sorted(bases) == sorted(objects), "each object feeds exactly one table"
    for base, related in smap.relations.items():
        assert base in objects and set(related) <= objects
        staged_before = {t.base for t in smap.tables[: bases.index(base)]}
        assert set(related) <= staged_before, (
            "a related object is staged before the tables that read it"
        )
    for t in smap.tables:
        names = [f.column for f in t.fields]
        assert len(names) == len(set(names))
        assert set(t.key) <= set(names)
        if not t.table.startswith("_"):
            schema = CANONICAL[t.table]
            canonical = [n for n in names if not n.startswith("_")]
            assert set(canonical) <= set(schema)
        for f in t.fields:
            assert f.kind in SQL_TYPE
            for source in f.sources:
                obj = source.split(".")[0]
                assert obj == t.base or obj in smap.relations.get(t.base, {}) or obj == "Owner", (
                    source
                )


@pytest.mark.parametrize("system", ["salesforce", "netsuite"])
def test_every_mappable_field_is_a_column_of_its_table(system):
    tables = {t.table: {f.column for f in t.fields} for t in SYSTEMS[system].tables}
    for key, table in MAPPABLE[system].items():
        if key == EVENT_KEY:  # milestone dates become helper columns of the table
            assert table in tables
            continue
        assert key in tables[table], f"{key} -> {table}"


def test_required_columns_are_sources_of_their_table():
    for smap in SYSTEMS.values():
        for obj in smap.objects:
            table = next(t for t in smap.tables if t.base == obj.name)
            sources = {s.lower() for f in table.fields for s in f.sources}
            for need in obj.required:
                assert any(f"{obj.name}.{c}".lower() in sources for c in need.split("|")), (
                    obj.name,
                    need,
                )
