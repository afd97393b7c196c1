"""Connected components of an edge table by min-label propagation.

Each pass is one relational step over the whole edge table; the loop runs over
passes (about the diameter of the largest cluster), never over rows. Only the
nodes that have an edge take part in the passes: most nodes (customers without
a name variant) are clusters of one, and labelling them in every pass cost more
than the propagation itself.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from crossfoot.engine.backend import Backend

MAX_PASSES = 64


def components(
    backend: Backend,
    nodes: ir.Table,
    edges: ir.Table,
    name: str,
    columns: tuple[str, str] = ("node", "cluster"),
) -> ir.Table:
    """nodes(node) + edges(a, b) → table ``name`` (node, cluster): cluster = smallest node id.

    ``columns`` names the two output columns.
    """
    both = edges.select(a=edges.a, b=edges.b).union(edges.select(a=edges.b, b=edges.a))
    sym = backend.run_stage(f"{name}__edges", both.distinct())
    # the first pass is the start: each node with an edge takes the smallest of itself
    # and its neighbours, which already settles the pairs most clusters are
    start = sym.group_by(node=sym.a).aggregate(cluster=lambda t: t.b.min())
    labels = backend.run_stage(
        f"{name}__0", start.select("node", cluster=ibis.least(start.node, start.cluster))
    )
    scratch = [f"{name}__edges", f"{name}__0", f"{name}__ends"]
    for i in range(1, MAX_PASSES + 1):
        # settled when both ends of every edge carry one label: each cluster is then one
        # label, and it is its smallest node (a node's label is never above its own id)
        # one end labelled first, as its own table: in one three-way query DuckDB may
        # join the two label tables on the inequality alone (a nested loop: 56 s for
        # 40,000 labels at 1M deals, inside the run's transaction)
        ends = backend.run_stage(
            f"{name}__ends",
            sym.join(labels, sym.a == labels.node).select(b=sym.b, la=labels.cluster),
        )
        unsettled = ends.join(labels, ends.b == labels.node).filter(lambda t: t.la != t.cluster)
        if backend.scalar(unsettled.count()) == 0:
            break
        via = sym.join(labels, sym.b == labels.node).select(node=sym.a, cluster=labels.cluster)
        merged = labels.union(via).group_by("node").aggregate(cluster=lambda t: t.cluster.min())
        labels = backend.run_stage(f"{name}__{i}", merged)
        scratch.append(f"{name}__{i}")
    every = nodes.select(node=nodes.node).distinct()
    joined = every.left_join(labels, "node")
    result = backend.run_stage(
        name,
        joined.select(
            **{
                columns[0]: joined.node,
                columns[1]: ibis.coalesce(joined.cluster, joined.node),
            }
        ),
    )
    for table in scratch:
        backend.drop(table)
    return result
