"""Benchmark: importing a long SillyTavern chat with the ``roleplay`` importer.

A deterministic 100,000-message chat (10,000 with ``--quick``) is written as
SillyTavern JSONL: a classic header, two speakers and a narrator, every date
form SillyTavern has written, swipes on one message in ten, a hidden system row
now and then and a two-hour silence every 150 messages or so. It is imported
into a fresh vault with ``apply_import`` in a child process (the whole import:
planning, checking, storing, the working-copy files and the projections) run
under ``benches/maxrss.py``, whose ``RUSAGE_CHILDREN`` peak is that child's
alone; a second child only plans (``RoleplayImporter.plan``), to tell the
importer's share from the vault's.

The peer, in the same run: ``jq -c . FILE > /dev/null`` (jq parses and
re-serialises every line, the usual tool for JSONL), or, without jq, Python's
``json.loads`` on each line (``note`` says which).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benches.bench_rss import measure
from benches.common import MB, BenchResult, Row, log, meets_max, meets_min
from benches.context import Context

MESSAGES = 100_000
MIN_MESSAGES_PER_S = 25_000.0
RSS_MAX_MB = 300.0
SEED = 20240619
REPO = Path(__file__).resolve().parent.parent
_TEXT = """
the lamp is out again wind rattles glass keeper harbour oil ladder night storm ship light tower she smiles quietly
*looks away* and then we climbed stairs counting every step until dawn came over grey water gulls cried far below
rope salt cold hands warm tea map goat tide bell
"""
_WORDS = _TEXT.split()
_MONTH_NAMES = "January February March April May June July August September October November December"
_MONTHS = _MONTH_NAMES.split()


def _date(moment: datetime, form: int) -> str | int:
    """``moment`` in one of the four forms SillyTavern has written ``send_date`` in."""
    if form == 0:
        return int(moment.timestamp() * 1000)
    if form == 1:
        ms = moment.microsecond // 1000
        return f"{moment.year}-{moment.month}-{moment.day} @{moment.hour}h {moment.minute}m {moment.second}s {ms}ms"
    if form == 2:
        hour = moment.hour % 12 or 12
        half = "pm" if moment.hour >= 12 else "am"
        return f"{_MONTHS[moment.month - 1]} {moment.day}, {moment.year} {hour}:{moment.minute:02d}{half}"
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_chat(path: Path, messages: int = MESSAGES, seed: int = SEED) -> int:
    """Write a SillyTavern chat of ``messages`` messages to ``path`` (the same bytes for the same arguments)."""
    rng = random.Random(seed)
    moment = datetime(2024, 6, 19, 16, 13, 22, tzinfo=UTC)
    header = {
        "user_name": "Sam",
        "character_name": "Mira",
        "create_date": "2024-6-19@16h13m22s",
        "chat_metadata": {"note_prompt": "", "tainted": True},
    }
    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps(header) + "\n")
        for i in range(messages):
            moment += timedelta(hours=2, minutes=5) if rng.random() < 1 / 150 else timedelta(seconds=rng.randint(5, 90))
            user = i % 2 == 1
            name = "Sam" if user else ("Old Tom" if rng.random() < 0.1 else "Mira")
            text = " ".join(rng.choices(_WORDS, k=rng.randint(8, 60))).capitalize() + "."
            row: dict[str, Any] = {
                "name": name,
                "is_user": user,
                "is_system": rng.random() < 0.01,
                "send_date": _date(moment, rng.randrange(4)),
                "mes": text,
                "extra": {} if user else {"api": "openai", "model": "bench-model"},
            }
            if not user and rng.random() < 0.1:
                swipes = [text, *(" ".join(rng.choices(_WORDS, k=20)) for _ in range(rng.randint(1, 3)))]
                row["swipes"], row["swipe_id"] = swipes, 0
                row["swipe_info"] = [{"send_date": row["send_date"], "extra": {}} for _ in swipes]
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path.stat().st_size


def child(mode: str, chat: Path, vault_dir: Path) -> dict[str, Any]:
    """In the child process: plan (``plan``) or import (``apply``) ``chat`` into a fresh vault; the seconds."""
    from comfyvn_vault.adapters import Source, apply_import
    from comfyvn_vault.importers.roleplay import RoleplayImporter, RoleplayOptions
    from comfyvn_vault.vault import Vault

    importer, options = RoleplayImporter(), RoleplayOptions()
    if mode == "plan":
        start = time.perf_counter()
        with chat.open("rb") as f:
            plan = importer.plan(Source(f, chat.name), options, lambda _path: None)
        return {"seconds": time.perf_counter() - start, "events": len(plan.events), "scenes": len(plan.summary.scenes)}
    vault, _ = Vault.init(vault_dir)
    try:
        start = time.perf_counter()
        with chat.open("rb") as f:
            result = apply_import(vault, importer, Source(f, chat.name), options)
        seconds = time.perf_counter() - start
    finally:
        vault.close()
    return {"seconds": seconds, "events": result.events, "scenes": len(result.summary.scenes)}


def _run_child(ctx: Context, mode: str, chat: Path, vault_dir: Path, out: Path) -> dict[str, Any]:
    env = ctx.env.comfyvn()
    env["PYTHONPATH"] = str(REPO)  # the checkout this bench belongs to, not whichever one is installed
    cmd: list[str | os.PathLike[str]] = [sys.executable, "-m", "benches.bench_import_chat", mode, chat, vault_dir, out]
    report = measure(cmd, REPO, env)
    report["child"] = json.loads(out.read_text())
    return report


def _peer(chat: Path, base: Path) -> tuple[str, dict[str, Any]]:
    cmd: list[str | os.PathLike[str]]
    if shutil.which("jq") is not None:
        cmd = ["sh", "-c", 'exec jq -c . "$0" > /dev/null', chat]
        return "jq -c .", measure(cmd, base, dict(os.environ))
    cmd = [sys.executable, "-c", "import json,sys\nfor line in open(sys.argv[1],'rb'):\n    json.loads(line)\n", chat]
    return "python json.loads per line", measure(cmd, base, dict(os.environ))


def run_import_chat(ctx: Context) -> BenchResult:
    n = MESSAGES // 10 if ctx.quick else MESSAGES
    base = ctx.folder("import-chat")
    chat = base / "chat.jsonl"
    size = make_chat(chat, n)
    log(f"import-chat: {n} messages, {size / MB:.1f} MB of JSONL")
    log("import-chat: planning only")
    planned = _run_child(ctx, "plan", chat, base / "unused", base / "plan.json")
    log("import-chat: apply_import into a fresh vault")
    applied = _run_child(ctx, "apply", chat, base / "vault", base / "apply.json")
    peer_name, peer = _peer(chat, base)
    log(f"import-chat: {peer_name}")

    rate = n / applied["child"]["seconds"]
    plan_rate = n / planned["child"]["seconds"]
    peer_rate = n / peer["wall_s"]
    peak = applied["ru_maxrss_kib"] * 1024 / MB
    peer_peak = peer["ru_maxrss_kib"] * 1024 / MB
    label = f"{n // 1000}k-message chat"
    result = BenchResult("import-chat")
    result.rows = [
        Row(
            f"import {label} (apply_import)",
            "messages/s",
            round(rate),
            peer_name,
            round(peer_rate),
            f">= {MIN_MESSAGES_PER_S:.0f} messages/s",
            meets_min(rate, MIN_MESSAGES_PER_S),
            note="the whole import: plan, check, store, working-copy files, projections",
        ),
        Row(
            f"plan {label} (importer alone)",
            "messages/s",
            round(plan_rate),
            peer_name,
            round(peer_rate),
            "(context)",
            None,
        ),
        Row(
            f"peak RSS importing {label}",
            "MB",
            round(peak, 1),
            peer_name,
            round(peer_peak, 1),
            f"< {RSS_MAX_MB:.0f} MB",
            meets_max(peak, RSS_MAX_MB),
            higher_is_better=False,
        ),
    ]
    result.details = {
        "messages": n,
        "bytes": size,
        "peer": peer_name,
        "apply": applied,
        "plan": planned,
        "peer_report": peer,
        "plan_peak_rss_mb": planned["ru_maxrss_kib"] * 1024 / MB,
    }
    return result


def main(argv: list[str]) -> int:
    """``python -m benches.bench_import_chat plan|apply CHAT VAULT OUT``: the child's side."""
    mode, chat, vault_dir, out = argv
    Path(out).write_text(json.dumps(child(mode, Path(chat), Path(vault_dir))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
