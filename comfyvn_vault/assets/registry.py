"""The asset registry: ``asset add`` as events, and the reads over it.

Adding files is three phases, so a bad file changes nothing:

1. *identify* every file by its content id, outside the writer lock: large
   files are hashed (and, when not stored yet, staged into ``objects/tmp``),
   small ones hashed from one read;
2. *probe* the files that are not registered assets yet (kind from its bytes,
   metadata, a full decode of images that also yields the thumbnail) on worker
   threads, while the next files are identified (Pillow and hashing release
   the GIL); any refusal stops here. A registered asset was probed when it
   was first added and its bytes have not changed since (same id), so a re-add
   reads each file once instead of decoding it again;
3. in *one* transaction: store the blobs, and commit ``AssetImported`` (plus
   ``AssetMetaChanged`` for re-added assets whose license, tags or flag
   changed, the license scan's ``FindingRecorded``, and ``FindingResolved``
   ``settle`` for a license finding whose asset now has a license that passes)
   on HEAD's branch.

Thumbnails are derived data: written to a private folder during the add and
moved into the cache only after the commit, never recorded as events.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from comfyvn_vault.assets import thumbs
from comfyvn_vault.assets.detect import safe_name
from comfyvn_vault.assets.probe import Probe, probe_file
from comfyvn_vault.domain.asset_events import AssetImported, AssetMetaChanged, FindingResolved
from comfyvn_vault.domain.assets import Asset, AssetKind, AssetMeta, Finding, asset_path, finding_id, finding_path
from comfyvn_vault.domain.cause import Cause
from comfyvn_vault.errors import InputRejected
from comfyvn_vault.store.base import AddResult
from comfyvn_vault.store.fsutil import os_error
from comfyvn_vault.store.ids import ObjectId, hash_bytes
from comfyvn_vault.store.staging import Staged

if TYPE_CHECKING:
    from comfyvn_vault.domain.events import Event
    from comfyvn_vault.vault import Vault

Progress = Callable[[int], None]
#: Files this large are probed while the files after them are identified.
PROBE_AHEAD_BYTES = 256 << 10
#: Bytes of new small files an add keeps from their first read for its transaction (the rest are read again).
KEEP_SMALL_BYTES = 64 << 20


class AddedFile(msgspec.Struct, frozen=True):
    """One file of an add: ``new`` is true when this add registered the asset."""

    path: str
    id: ObjectId
    bytes: int
    new: bool
    kind: AssetKind
    mime: str
    asset: Asset
    warning: str | None = None
    """One line for the user, e.g. the extension names another type than the bytes hold."""


class Options(msgspec.Struct, frozen=True):
    """What the user says about the files of one add."""

    license: str | None = None
    tags: list[str] = []
    nsfw: bool = False
    origin: str | None = None
    strict: bool = False
    """Refuse a file whose extension names another type than its bytes hold (default: warn)."""


def _probe_one(index: int, path: Path, staging: thumbs.Staging, strict: bool) -> Probe:
    """Probe one file; its thumbnail goes straight to the staging folder so memory stays flat."""
    probe = probe_file(path, strict=strict)
    if probe.thumbnail is None:
        return probe
    staging.put(str(index), probe.thumbnail)
    return probe._replace(thumbnail=None)


def _identify(vault: Vault, p: Path, keep: bool) -> tuple[ObjectId, Staged | AddResult | bytes | None]:
    """A file's content id, and what the transaction adds for it.

    Large files come back staged (or stored). A small file that is stored
    needs nothing more; a new one comes back as its bytes when ``keep``, else
    as None and the transaction reads it again.
    """
    store = vault.store
    got = store.stage_file(p)
    if not isinstance(got, bytes):
        return got.id, got
    oid = hash_bytes(got)
    if store.has(oid):
        return oid, AddResult(oid, len(got), new=False)
    return oid, got if keep else None


def _meta_for(probe: Probe, opts: Options, name: str) -> AssetMeta:
    tags = sorted(set(opts.tags))
    return AssetMeta(
        license=opts.license or probe.license_hint,
        nsfw=opts.nsfw or probe.nsfw_hint,
        origin=opts.origin or f"import:{name}",
        tags=tags,
    )


def _merged_meta(old: AssetMeta, opts: Options) -> AssetMeta:
    """A re-add keeps what was said and adds what is said now (tags unite, a flag only turns on).

    What the file itself says (embedded license, NSFW hints) was read when it
    was first added: the same id is the same bytes.
    """
    return AssetMeta(
        license=opts.license or old.license,
        nsfw=old.nsfw or opts.nsfw,
        origin=old.origin,
        tags=sorted({*old.tags, *opts.tags}),
    )


def _settled(lookup: Callable[[str], Any], asset: Asset, meta: AssetMeta, cause: Cause) -> list[Event]:
    """Settle the asset's open license finding when its new license passes the scan."""
    from comfyvn_vault.advisory.licenses import verdict

    if meta.license == asset.meta.license or verdict(meta.license) is not None:
        return []
    finding = lookup(finding_path(finding_id("license", asset.id)))
    if not isinstance(finding, Finding) or finding.status != "open":
        return []
    note = f"license set to {meta.license}"
    return [FindingResolved(finding_id=finding.id, fix="settle", note=note, before=finding, cause=cause)]


def _checked(path: Path) -> tuple[Path, int]:
    """A file that can be added, with its size; refuse any other path before anything is written."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputRejected(f"{path}: no such file") from None
    except OSError as exc:
        raise os_error(exc, "read") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputRejected(f"{path}: is a directory (give the files inside it)")
    if not stat.S_ISREG(st.st_mode):
        raise InputRejected(f"{path}: not a regular file")
    if not os.access(path, os.R_OK):
        raise InputRejected(f"{path}: permission denied")
    return path, st.st_size


def add_files(
    vault: Vault,
    paths: Sequence[str | os.PathLike[str]],
    progress: Progress | None = None,
    options: Options | None = None,
    *,
    message: str | None = None,
) -> list[AddedFile]:
    """Register files as assets in one commit; on any error nothing is changed (see the module doc)."""
    from comfyvn_vault.advisory.scan import scan_events

    opts = options or Options()
    checked = [_checked(Path(p)) for p in paths]
    staging = thumbs.Staging(vault)
    staged: list[Staged | AddResult | bytes | None] = []
    try:
        h = vault.history
        registered = h.lookup_in(vault.checkout_tree())
        ids: list[ObjectId] = []
        kept = 0
        # Big files are probed on worker threads while the next ones are hashed and staged
        # here; small ones after that, all at once (interleaved, their Python work would
        # only contend for the GIL).
        with ThreadPoolExecutor(min(len(checked), os.cpu_count() or 1, 4) or 1) as pool:
            pending: dict[int, Future[Probe]] = {}
            small: list[tuple[int, Path]] = []
            for index, (p, size) in enumerate(checked):
                oid, got = _identify(vault, p, keep=kept + size <= KEEP_SMALL_BYTES)
                if isinstance(got, bytes):
                    kept += len(got)
                ids.append(oid)
                staged.append(got)
                if not isinstance(registered(asset_path(oid.hex())), Asset):
                    if size >= PROBE_AHEAD_BYTES:
                        pending[index] = pool.submit(_probe_one, index, p, staging, opts.strict)
                    else:
                        small.append((index, p))
                if progress:
                    progress(size)
            done = pool.map(lambda item: _probe_one(item[0], item[1], staging, opts.strict), small)
            probes = {index: probe for (index, _), probe in zip(small, done, strict=True)}
            probes.update((index, future.result()) for index, future in pending.items())
        base = h.head()
        lookup = h.lookup_in(h.tree_of(base))
        added: list[AddedFile] = []
        events: list[Event] = []
        seen: dict[str, Asset] = {}
        cause = Cause(kind="user", note="asset add")
        for index, ((p, size), st) in enumerate(zip(checked, staged, strict=True)):
            oid = ids[index]
            hex_id = oid.hex()
            nbytes = size if st is None else len(st) if isinstance(st, bytes) else st.size
            asset, new, warning = seen.get(hex_id), False, None
            if asset is None:
                current = lookup(asset_path(hex_id))
                if isinstance(current, Asset):
                    meta = _merged_meta(current.meta, opts)
                    if meta != current.meta:
                        events.append(AssetMetaChanged(asset_id=hex_id, meta=meta, before=current.meta, cause=cause))
                        events.extend(_settled(lookup, current, meta, cause))
                    asset = msgspec.structs.replace(current, meta=meta)
                else:
                    # Registered in the checkout when looked at, but not on HEAD: probe it now.
                    probe = probes.get(index) or _probe_one(index, p, staging, opts.strict)
                    asset = Asset(
                        id=hex_id,
                        blob=oid,
                        kind=probe.kind,  # type: ignore[arg-type]
                        mime=probe.mime,
                        bytes=nbytes,
                        width=probe.width,
                        height=probe.height,
                        duration_ms=probe.duration_ms,
                        name=safe_name(p.name),
                        meta=_meta_for(probe, opts, safe_name(p.name)),
                    )
                    events.append(AssetImported(asset=asset, source=safe_name(p.name), cause=cause))
                    new, warning = True, probe.warning
                seen[hex_id] = asset
                staging.assign(str(index), hex_id)
            added.append(AddedFile(safe_name(str(p)), oid, nbytes, new, asset.kind, asset.mime, asset, warning))
        if events:
            events.extend(scan_events(lookup, list(seen.values()), cause=Cause(kind="import", ref="license-scan")))
        n = sum(isinstance(e, AssetImported) for e in events)
        text = message or f"Add {n} asset{'s' if n != 1 else ''}"
        with vault.change(text, base=base, description=f"asset add ({len(seen)} files)") as ch:
            for (p, _), st, oid in zip(checked, staged, ids, strict=True):
                if st is None:
                    ch.add_file(p, oid)  # a small new file past the memory budget: read again when stored
                else:
                    ch.add_stored(st)
            ch.record(events)
            ch.after_commit(staging.publish)
        if ch.commit is None:  # every file was registered already, with the same metadata
            for st in staged:
                if isinstance(st, Staged):
                    st.discard()
            staging.publish()
        return added
    except BaseException:
        for st in staged:
            if isinstance(st, Staged):
                st.discard()
        staging.discard()
        raise
