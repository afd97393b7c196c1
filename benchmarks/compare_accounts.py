"""crossfoot's account matching against splink, on the same accounts and customers.

Truth comes from the demo generator's own model (demo/world.py): account ``i``
(Salesforce id ``salesforce_id("001", i)``) is NetSuite customer ``1001 + i``,
and every ``duplicate_customer`` label adds the second customer of that company
(``labels.csv``). Every pair of account and customer of one company is a true
link.

Two scenarios:
- ``names``: the cross-system ids blanked on both sides (``erp_customer_ref``,
  ``crm_account_ref``), so both tools match on name, domain and country only —
  the matching itself;
- ``ids``: the data as exported (about 90% of accounts carry the ids); splink
  gets the ids as one more comparison and blocking rule.

crossfoot: the ``match accounts`` stage (engine/match_accounts.py), timed
whole — it also clusters the accounts among themselves, work splink's
``link_only`` model does not do. Its links are ``account_customer``; its clusters expand each link to
every customer of the linked customer's cluster.

splink 5 (DuckDB backend), as its documentation recommends for a linkage
without labels: the same normalized names, domains and ISO countries crossfoot
matches on (crossfoot's own expressions, ``engine/names.py``; the time to make
them is counted in splink's), ``link_only``; comparisons Jaro-Winkler on the
name (exact, ≥ 0.95, ≥ 0.88 — crossfoot's own similarity threshold), exact
domain, exact country; blocking on the name's first word or the domain (the
same candidate pairs crossfoot scores); λ from a deterministic rule (name and
domain agree, recall 0.9), u by random sampling (10⁷ pairs, seeded: "often
adequate", says ``estimate_u_using_random_sampling``), m by expectation
maximisation in two sessions (blocked on domain, then on the first word; see
https://moj-analytical-services.github.io/splink/demos/tutorials/04_Estimating_model_parameters.html).
A link is a prediction with match probability ≥ 0.9 (splink leaves the
threshold to the user; 0.9 is a precise linkage); clusters are splink's connected components
at that threshold. Splink's times are reported in parts: making its input
tables, training (λ, u, m), and prediction + clustering; a user who trains
once and reuses the model pays the first and the last on every run.
"""

from __future__ import annotations

import csv
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
from stages import prepared, timed

from crossfoot.config import Definitions
from crossfoot.demo.names import salesforce_id
from crossfoot.demo.world import FIRST_CUSTOMER_ID
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.engine.match_accounts import match_accounts
from crossfoot.engine.names import normalized_name, with_country_code

Pair = tuple[str, str]
THRESHOLD = 0.9
SCENARIOS = ("names", "ids")


@dataclass(frozen=True)
class Accuracy:
    predicted: int
    true_positives: int
    truth: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.truth if self.truth else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def accuracy(predicted: set[Pair], truth: set[Pair]) -> Accuracy:
    return Accuracy(len(predicted), len(predicted & truth), len(truth))


def truth_pairs(folder: Path, backend: DuckDBBackend) -> set[Pair]:
    """(account_id, customer_id) of every company, from the generator's numbering."""
    n_accounts = backend.scalar(backend.table("account").count())
    pairs = {(salesforce_id("001", i), str(FIRST_CUSTOMER_ID + i)) for i in range(n_accounts)}
    with (folder / "labels.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["cause"] == "duplicate_customer":
                pairs |= {(row["crm_record_id"], c) for c in row["erp_record_id"].split(";")}
    known = set(
        backend.to_arrow(backend.table("account").select("account_id"))["account_id"].to_pylist()
    )
    missing = {a for a, _ in pairs} - known
    if missing:
        raise RuntimeError(
            f"{len(missing)} truth accounts are not in the data (generator changed?)"
        )
    return pairs


def blank_ids(backend: DuckDBBackend) -> None:
    """The ``names`` scenario: no cross-system ids on either side."""
    backend.sql("update account set erp_customer_ref = null")
    backend.sql("update customer set crm_account_ref = null")


def _pairs(backend: DuckDBBackend, t: ir.Table, a: str, b: str) -> set[Pair]:
    rows = backend.to_arrow(t.select(a=t[a].cast("string"), b=t[b].cast("string")).distinct())
    return set(zip(rows["a"].to_pylist(), rows["b"].to_pylist(), strict=True))


def crossfoot_matching(backend: DuckDBBackend, defs: Definitions) -> None:
    match_accounts(backend, defs)


def crossfoot_results(backend: DuckDBBackend) -> dict[str, set[Pair]]:
    links = backend.table("account_customer")
    cl = backend.table("customer_cluster")
    via = links.join(cl, "customer_id").select("account_id", "cluster_id")
    expanded = via.join(cl, "cluster_id").select("account_id", c="customer_id")
    return {
        "links": _pairs(backend, links, "account_id", "customer_id"),
        "clusters": _pairs(backend, expanded, "account_id", "c"),
    }


def _splink_input(t: ir.Table, id_col: str, own_key: str, other_key: str) -> ir.Table:
    norm = normalized_name(t["name"].fill_null(""))
    named = t.select(
        id=t[id_col].cast("string"),
        name=norm,
        first_word=norm.re_extract(r"^(\S+)", 1),
        domain=t.domain.lower().strip().nullif(""),
        country=t.country,
        # the ids on both sides in the same two columns, so equality means "linked"
        acct_key=t[own_key].cast("string"),
        cust_key=t[other_key].cast("string"),
    )
    return with_country_code(named, "country")


def splink_matching(
    backend: DuckDBBackend, scenario: str, repeats: int = 1
) -> dict[str, float | set[Pair]]:
    """Train and run the splink model: its links and clusters, and the time of each part.

    ``prep_s``: the normalized input tables; ``train_s``: λ, u and m; ``use_cold_s`` /
    ``use_warm_s``: prediction and clustering (what a trained model costs per run).
    """
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    t0 = time.perf_counter()
    acc, cus = backend.table("account"), backend.table("customer")
    backend.run_stage(
        "splink_accounts", _splink_input(acc, "account_id", "account_id", "erp_customer_ref")
    )
    backend.run_stage(
        "splink_customers", _splink_input(cus, "customer_id", "crm_account_ref", "customer_id")
    )
    t_prep = time.perf_counter()
    db_api = DuckDBAPI(connection=backend.raw)
    accounts = db_api.register("splink_accounts", dataset_display_name="accounts")
    customers = db_api.register("splink_customers", dataset_display_name="customers")
    comparisons = [
        cl.JaroWinklerAtThresholds("name", [0.95, 0.88]),
        cl.ExactMatch("domain"),
        cl.ExactMatch("country"),
    ]
    blocking = [block_on("first_word"), block_on("domain")]
    if scenario == "ids":
        comparisons.append(
            cl.CustomComparison(
                output_column_name="cross_id",
                comparison_levels=[
                    {"sql_condition": "(acct_key_l is null or acct_key_r is null) and "
                                      "(cust_key_l is null or cust_key_r is null)",
                     "label_for_charts": "null", "is_null_level": True},
                    {"sql_condition": "acct_key_l = acct_key_r or cust_key_l = cust_key_r",
                     "label_for_charts": "ids agree"},
                    {"sql_condition": "ELSE", "label_for_charts": "else"},
                ],
            )
        )  # fmt: skip
        blocking += [block_on("acct_key"), block_on("cust_key")]
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker([accounts, customers], settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("name", "domain")], recall=0.9
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("domain"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_word"))
    t_train = time.perf_counter()

    def use() -> tuple[Any, Any]:
        predictions = linker.inference.predict(threshold_match_probability=THRESHOLD)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=THRESHOLD
        )
        return predictions, clusters

    (predictions, clusters), use_cold, use_warm = timed(use, repeats)
    con = backend.raw
    links = con.execute(
        "select case when source_dataset_l = 'accounts' then id_l else id_r end, "
        "case when source_dataset_l = 'accounts' then id_r else id_l end "
        f"from {predictions.physical_name}"
    ).fetchall()
    grouped = con.execute(
        f"select a.id, c.id from {clusters.physical_name} a "
        f"join {clusters.physical_name} c using (cluster_id) "
        "where a.source_dataset = 'accounts' and c.source_dataset = 'customers'"
    ).fetchall()
    return {
        "prep_s": t_prep - t0,
        "train_s": t_train - t_prep,
        "use_cold_s": use_cold,
        "use_warm_s": use_warm,
        "links": {(a, c) for a, c in links},
        "clusters": {(a, c) for a, c in grouped},
    }


def measure_accounts(folder: Path, scenario: str, repeats: int = 3) -> dict[str, Any]:
    """Both matchers on the company in ``folder`` under ``scenario``: times and accuracy."""
    backend, defs = prepared(folder, "match accounts")
    try:
        truth = truth_pairs(folder, backend)
        if scenario == "names":
            blank_ids(backend)
        _, cold, warm = timed(lambda: crossfoot_matching(backend, defs), repeats)
        ours = crossfoot_results(backend)
        theirs = splink_matching(backend, scenario, repeats)
        n_accounts = backend.scalar(backend.table("account").count())
        n_customers = backend.scalar(backend.table("customer").count())
    finally:
        backend.close()
    splink_times = {k: v for k, v in theirs.items() if k.endswith("_s")}
    return {
        "scenario": scenario,
        "accounts": n_accounts,
        "customers": n_customers,
        "truth": len(truth),
        "crossfoot": {"cold_s": cold, "warm_s": warm}
        | {k: accuracy(ours[k], truth) for k in ("links", "clusters")},
        "splink": splink_times | {k: accuracy(theirs[k], truth) for k in ("links", "clusters")},  # type: ignore[arg-type]
    }
