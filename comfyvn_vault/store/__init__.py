"""The content-addressed object store: ids, canonical codec, compression, packs and
blobs, the LMDB index, fsck and gc. It knows bytes, not stories.

Import the modules directly (``comfyvn_vault.store.codec``, ``.disk``…): this
package file stays empty so the pure codec never drags LMDB along.
"""
