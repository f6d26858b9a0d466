"""Which licenses are known to be open: the allow-list the license scan checks against.

Pure data and one function. A license passes when it is a known open license
(SPDX ids, compared case-insensitively, plus a few common spellings); every
other value — missing, unknown, proprietary, non-commercial, no-derivatives —
becomes a finding a person must decide. The list errs on the side of asking.
"""

from __future__ import annotations

from typing import Final

OPEN_LICENSES: Final[frozenset[str]] = frozenset(
    {
        "cc0-1.0",
        "cc-by-3.0",
        "cc-by-4.0",
        "cc-by-sa-3.0",
        "cc-by-sa-4.0",
        "pddl-1.0",
        "odc-by-1.0",
        "mit",
        "mit-0",
        "apache-2.0",
        "bsd-2-clause",
        "bsd-3-clause",
        "isc",
        "zlib",
        "unlicense",
        "ofl-1.1",
        "wtfpl",
        "0bsd",
        "public-domain",
        "oga-by-3.0",
        "gpl-2.0",
        "gpl-3.0",
        "lgpl-2.1",
        "lgpl-3.0",
        "mpl-2.0",
    }
)
_ALIASES: Final[dict[str, str]] = {
    "cc0": "cc0-1.0",
    "cc-0": "cc0-1.0",
    "public domain": "public-domain",
    "pd": "public-domain",
    "cc by 4.0": "cc-by-4.0",
    "cc-by": "cc-by-4.0",
    "cc by": "cc-by-4.0",
    "cc by-sa 4.0": "cc-by-sa-4.0",
    "apache 2.0": "apache-2.0",
    "apache-2": "apache-2.0",
}


def normalise(license_text: str) -> str:
    key = " ".join(license_text.strip().lower().split())
    return _ALIASES.get(key, key.replace(" ", "-"))


def verdict(license_text: str | None) -> str | None:
    """None when ``license_text`` is a known open license; otherwise why not (one line)."""
    if license_text is None or not license_text.strip():
        return "no license is recorded"
    key = normalise(license_text)
    if key in OPEN_LICENSES:
        return None
    if "-nc" in key or "noncommercial" in key or "non-commercial" in key:
        return f"license {license_text!r} forbids commercial use"
    if "-nd" in key or "noderiv" in key:
        return f"license {license_text!r} forbids derivatives"
    return f"license {license_text!r} is not a known open license"
