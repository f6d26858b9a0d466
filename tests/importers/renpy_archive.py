"""Ren'Py's own reading of an archive, for the importer's tests (an oracle, not a test).

Run by the Python Ren'Py is installed for, with Ren'Py's folder first::

    /usr/bin/python3 renpy_archive.py /usr/share/games/renpy game/archive.rpa

It reads the archive's index with Ren'Py's loader and prints, as JSON, each
member's name and the SHA-256 of its bytes as Ren'Py would load them.
"""

import hashlib
import json
import sys

sys.path.insert(0, sys.argv[1])

import renpy

renpy.import_all()  # every module of Ren'Py, renpy.parser and renpy.ast among them

path = sys.argv[2]
with open(path, "rb") as f:
    header = f.read(8)
    f.seek(0)
    handler = renpy.loader.RPAv3ArchiveHandler if header == b"RPA-3.0 " else renpy.loader.RPAv2ArchiveHandler
    index = handler.read_index(f)
    members = {}
    for name, pieces in index.items():
        data = b""
        for piece in pieces:
            if len(piece) == 1:  # a prefix kept in the index
                data += piece[0]
            else:
                offset, length = piece[:2]
                f.seek(offset)
                data += f.read(length)
        members[name] = hashlib.sha256(data).hexdigest()
print(json.dumps(members))
