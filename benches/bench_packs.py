"""Benchmark 6: pack files against loose files for many small objects (the evidence for packs).

Writes the same 1–8 KB JSON-like objects through the Python API
(``DiskObjectStore.create(path, loose_threshold=N)``, ``store.transaction()``,
``w.put_bytes``) with the default threshold (small objects go into packs) and
with ``loose_threshold=0`` (every object its own file), in one transaction and
in many transactions of ``small_txn_size``. It checks where each object landed
and reports objects/s and disk usage.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from benches.common import MB, BenchResult, Row, disk_usage, log
from benches.context import Context
from benches.corpus import small_objects

MODES = {"packed": None, "loose": 0}  # None: the store's default threshold


def _write(root: Path, objects: list[bytes], threshold: int | None, per_txn: int) -> dict[str, Any]:
    from comfyvn_vault.store.disk import DiskObjectStore

    kwargs: dict[str, Any] = {} if threshold is None else {"loose_threshold": threshold}
    store = DiskObjectStore.create(root, **kwargs)
    try:
        start = time.perf_counter()
        ids = []
        for i in range(0, len(objects), per_txn):
            with store.transaction() as w:
                ids += [w.put_bytes(data).id for data in objects[i : i + per_txn]]
        seconds = time.perf_counter() - start
        locations = Counter(store.info(oid).location for oid in ids)
        threshold_used = store.loose_threshold
    finally:
        store.close()
    usage = disk_usage(root)
    return {
        "loose_threshold": threshold_used,
        "transactions": -(-len(objects) // per_txn),
        "seconds": seconds,
        "objects_per_s": len(objects) / seconds,
        "locations": dict(locations),
        "disk": usage.to_json(),
    }


def run_packs(ctx: Context) -> BenchResult:
    n, per = ctx.sizes.small_objects, ctx.sizes.small_txn_size
    objects = small_objects(n)
    raw = sum(map(len, objects))
    result = BenchResult("packs")
    result.details = {"objects": n, "raw_bytes": raw, "runs": {}}
    problems: list[str] = []
    for txn_label, per_txn in (("1 transaction", n), (f"{n // per} transactions of {per}", per)):
        runs: dict[str, dict[str, Any]] = {}
        for mode, threshold in MODES.items():
            log(f"packs: {n} objects, {txn_label}, {mode}")
            root = ctx.folder("packs", f"{mode}-{per_txn}") / "store"
            runs[mode] = _write(root, objects, threshold, per_txn)
            want = "pack" if mode == "packed" else "loose"
            wrong = {k: v for k, v in runs[mode]["locations"].items() if k != want}
            if wrong:
                problems.append(f"{mode} ({txn_label}): expected every object {want}, found {wrong}")
        result.details["runs"][txn_label] = runs
        packed, loose = runs["packed"], runs["loose"]
        result.rows.append(
            Row(
                f"small objects: {n} x 1-8 KB, {txn_label}",
                "obj/s",
                packed["objects_per_s"],
                "loose (threshold 0)",
                loose["objects_per_s"],
                target="(evidence: packed vs loose)",
                met=None,
            )
        )
        result.rows.append(
            Row(
                f"disk used: {n} x 1-8 KB, {txn_label} (raw {raw / MB:.0f} MB)",
                "MB",
                packed["disk"]["allocated_bytes"] / MB,
                "loose (threshold 0)",
                loose["disk"]["allocated_bytes"] / MB,
                target="(evidence: packed vs loose)",
                met=None,
                higher_is_better=False,
            )
        )
    result.details["routing_problems"] = problems
    if problems:  # keep the figures, but say loudly that the routing is not what the API promises
        result.error = "; ".join(problems)
    return result
