from __future__ import annotations

import ibis

from crossfoot.engine.backend import DuckDBBackend
from crossfoot.engine.graph import components


def test_components_label_every_node_with_the_smallest_id_of_its_cluster(
    backend: DuckDBBackend,
) -> None:
    # a chain needs several passes; x-y is a pair; z has no edge and is its own cluster
    nodes = ibis.memtable({"node": ["d", "c", "b", "a", "y", "x", "z"]})
    edges = ibis.memtable({"a": ["c", "b", "a", "y"], "b": ["d", "c", "b", "x"]})
    out = components(backend, nodes, edges, "clusters", ("item", "group"))
    got = {r["item"]: r["group"] for r in backend.to_arrow(out).to_pylist()}
    assert got == {"a": "a", "b": "a", "c": "a", "d": "a", "x": "x", "y": "x", "z": "z"}
    assert out.columns == ("item", "group")
    # the passes' scratch tables are gone; the result stays
    assert not any(t.startswith("clusters__") for t in backend.con.list_tables())
    assert backend.has_table("clusters")


def test_components_without_edges_leave_every_node_alone(backend: DuckDBBackend) -> None:
    nodes = ibis.memtable({"node": ["a", "b"]})
    edges = ibis.memtable({"a": ["a"], "b": ["b"]}).filter(lambda t: t.a == t.b)  # none
    out = components(backend, nodes, edges, "clusters")
    assert sorted(backend.to_arrow(out).to_pylist(), key=lambda r: r["node"]) == [
        {"node": "a", "cluster": "a"},
        {"node": "b", "cluster": "b"},
    ]
