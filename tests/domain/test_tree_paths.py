"""The one check between another vault's tree paths and the file system (domain/paths.check_tree_path).

Properties: whatever the text, a path the check accepts names exactly one plain
file inside one of the vault's folders (never above it, never a dot file, never
a device); hostile compositions of ``..``, separators and drive letters are all
refused; and every path the domain itself builds (``entity_path``) is accepted.
"""

from __future__ import annotations

import posixpath
import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from comfyvn_vault.domain import Rejected
from comfyvn_vault.domain.paths import (
    FOLDERS,
    RESERVED_NAMES,
    check_tree_path,
    entity_path,
    is_reserved_name,
    tree_path_problem,
)
from tests.domain.strategies import valid_ids

ROOT = "/vault/root"


def assert_stays_inside(path: str) -> None:
    """An accepted path is ``<folder>/<one plain file name>`` under the root, on POSIX and Windows alike."""
    folder, name = path.split("/")
    assert folder in FOLDERS
    target = posixpath.normpath(posixpath.join(ROOT, path + ".toml"))
    assert posixpath.dirname(target) == f"{ROOT}/{folder}"
    assert posixpath.basename(target) == name + ".toml"
    assert name and not name.startswith(".")
    assert not set(name) & set('\\/:\x00*?"<>|') and name.isascii() and name.isprintable()
    assert name.partition(".")[0].lower() not in RESERVED_NAMES


@given(st.text(max_size=80))
@example("scenes/../../PWNED")
@example("scenes/../.comfyvn/config")
def test_random_text_never_escapes(text: str) -> None:
    if tree_path_problem(text) is None:
        assert_stays_inside(text)
    else:
        with pytest.raises(Rejected, match="tree path"):
            check_tree_path(text)


PLAIN = ("..", ".", "...", "scenes", "characters", ".comfyvn", "a", "s0", "con", "NUL.txt", "Com1", "C:", "~", "é")
SEGMENTS = st.sampled_from((*PLAIN, "", " ", "\x00", "a\x00"))
SEPARATORS = st.sampled_from(["/", "\\", "//", "/./", "\\..\\"])


@st.composite
def hostile_paths(draw: st.DrawFn) -> str:
    parts = draw(st.lists(SEGMENTS, min_size=1, max_size=6))
    out = parts[0]
    for part in parts[1:]:
        out += draw(SEPARATORS) + part
    return draw(st.sampled_from(["", "/", "\\", "scenes/"])) + out


@given(hostile_paths())
def test_hostile_compositions_never_escape(path: str) -> None:
    problem = tree_path_problem(path)
    if problem is None:
        assert_stays_inside(path)
        return
    if ".." in path or "\\" in path or path.startswith("/"):
        with pytest.raises(Rejected):
            check_tree_path(path)


@given(st.sampled_from(FOLDERS), valid_ids)
def test_every_entity_path_the_domain_builds_is_accepted(folder: str, entity_id: str) -> None:
    try:
        path = entity_path(folder, entity_id)
    except Rejected:
        assert is_reserved_name(entity_id)
        assert tree_path_problem(f"{folder}/{entity_id}") is not None
        return
    assert check_tree_path(path) == path
    assert_stays_inside(path)


@given(st.sampled_from(FOLDERS), st.text(alphabet=string.ascii_letters + string.digits + "_.-", max_size=70))
def test_the_domain_and_the_check_agree(folder: str, entity_id: str) -> None:
    """entity_path builds exactly the paths the check accepts: nothing a vault makes is refused elsewhere."""
    try:
        entity_path(folder, entity_id)
        built = True
    except Rejected:
        built = False
    assert built == (tree_path_problem(f"{folder}/{entity_id}") is None)


@pytest.mark.parametrize("name", ["con", "CON", "nul.x", "Com1", "lpt9.draft", "aux"])
def test_device_names_are_refused(name: str) -> None:
    with pytest.raises(Rejected, match="reserved"):
        check_tree_path(f"scenes/{name}")
    with pytest.raises(Rejected, match="reserved"):
        entity_path("scenes", name)


@pytest.mark.parametrize("name", ["console", "nully", "com", "com10x", "a.con", "intro", "f" * 64])
def test_names_near_device_names_are_fine(name: str) -> None:
    assert check_tree_path(f"scenes/{name}") == f"scenes/{name}"


def test_a_story_title_that_is_a_device_name_gets_a_usable_id() -> None:
    from comfyvn_vault.api.entities import slug

    assert slug("Con", "scene") == "con-scene"
    assert entity_path("scenes", slug("NUL", "scene"))
