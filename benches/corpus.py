"""Deterministic input files: noise media, compressible text/JSON, one big blob, small objects.

Random bytes come from BLAKE3's extendable output (fast, seeded, incompressible),
so two runs produce the same corpus and none of it is held in memory at once.
"""

from __future__ import annotations

import json
import math
import os
import random
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import blake3

from benches.common import MIB

#: The media kinds of the corpus: real files ``asset add`` decodes in full (images) or parses
#: (WAV headers), filled with noise so they do not compress, as shipped media does not.
MEDIA_KINDS: Final[tuple[str, ...]] = ("png", "jpg", "wav")
#: Width of the corpus images; the height follows from the size wanted.
_IMAGE_WIDTH: Final = 1024
#: Bytes per pixel of a noise JPEG at quality 90 (measured with Pillow), to size the images.
_JPEG_BYTES_PER_PIXEL: Final = 0.9

_WORD_TEXT: Final = (
    "the a an and but or if then when while she he they we you I it this that there here now never always "
    "night morning rain light shadow door window train station school rooftop festival letter promise secret "
    "remember forget wait run stay leave listen look smile cry laugh whisper answer ask know believe feel "
    "quiet sudden gentle strange familiar distant warm cold bright dark lonely brave afraid sorry thank "
    "please maybe really still again already just only even because before after until across behind "
    "heart hand eyes voice name memory dream song sky sea city street garden library classroom bridge "
    "summer winter spring autumn tomorrow yesterday today forever moment chance choice truth lie world"
)
_WORDS: Final = tuple(_WORD_TEXT.split())
_NAMES: Final = ("Aiko", "Ren", "Mina", "Sora", "Haru", "Yuki", "Kaito", "Emi", "Narrator", "Teacher")
_MOODS: Final = ("neutral", "happy", "sad", "angry", "surprised", "thoughtful")


@dataclass(frozen=True)
class Corpus:
    """Files written into one folder, with their total size."""

    root: Path
    files: tuple[Path, ...]
    total_bytes: int

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.files]


def random_bytes(seed: str, length: int, offset: int = 0) -> bytes:
    return blake3.blake3(seed.encode()).digest(length=length, seek=offset)


def _log_uniform_sizes(rng: random.Random, total: int, low: int, high: int) -> list[int]:
    """Sizes drawn log-uniformly in [low, high] adding up to exactly ``total``."""
    sizes: list[int] = []
    left = total
    while left > 0:
        n = int(math.exp(rng.uniform(math.log(low), math.log(high))))
        n = min(n, left)
        if left - n < low:  # no runt at the end: fold the rest into this file
            n = left
        sizes.append(n)
        left -= n
    return sizes


def make_media(root: Path, total: int, low: int, high: int, seed: int = 1) -> Corpus:
    """Noise PNG, JPEG and WAV files of about ``low``…``high`` bytes, about ``total`` in all.

    Each is a valid file of its kind (Pillow decodes the images, ``wave`` reads
    the WAV), so ``asset add`` accepts it after its full check; the noise keeps
    them incompressible. Images land within a few percent of the size drawn.
    """
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    files: list[Path] = []
    for i, size in enumerate(_log_uniform_sizes(rng, total, low, high)):
        ext = MEDIA_KINDS[i % len(MEDIA_KINDS)]
        path = root / f"media_{i:05d}.{ext}"
        noise = f"media-{seed}-{i}"
        if ext == "wav":
            _noise_wav(path, noise, size)
        else:
            _noise_image(path, noise, size, ext)
        files.append(path)
    return Corpus(root, tuple(files), sum(f.stat().st_size for f in files))


def _noise_image(path: Path, seed: str, size: int, ext: str) -> None:
    from PIL import Image

    per_pixel = 3.0 if ext == "png" else _JPEG_BYTES_PER_PIXEL
    height = max(1, round(size / per_pixel / _IMAGE_WIDTH))
    img = Image.frombytes("RGB", (_IMAGE_WIDTH, height), random_bytes(seed, _IMAGE_WIDTH * height * 3))
    if ext == "png":
        img.save(path, format="PNG", compress_level=0)
    else:
        img.save(path, format="JPEG", quality=90)


def _noise_wav(path: Path, seed: str, size: int) -> None:
    frames = max(1, (size - 44) // 4)  # 16-bit stereo after a 44-byte header
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(44_100)
        step = 1 << 20
        for offset in range(0, frames * 4, step):
            out.writeframesraw(random_bytes(seed, min(step, frames * 4 - offset), offset))


def _sentence(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(5, 22))
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice((".", ".", ".", "?", "!", "…"))


def scene_document(rng: random.Random, index: int, target: int) -> str:
    """A JSON scene of roughly ``target`` bytes: nodes with speakers, lines and choices."""
    nodes: list[dict[str, Any]] = []
    doc: dict[str, Any] = {
        "schema": "comfyvn.scene/1",
        "id": f"scene-{index:05d}",
        "title": _sentence(rng)[:40],
        "characters": sorted(set(rng.choices(_NAMES, k=4))),
        "nodes": nodes,
        "meta": {"chapter": index // 20 + 1, "tags": rng.sample(_WORDS, 3), "bgm": f"bgm_{rng.randint(1, 40):02d}.ogg"},
    }
    approx = 300
    while approx < target:
        n = len(nodes)
        node: dict[str, Any] = {
            "id": f"n{n:04d}",
            "type": "text",
            "speaker": rng.choice(_NAMES),
            "content": _sentence(rng) + " " + _sentence(rng),
            "expression": rng.choice(_MOODS),
            "next": f"n{n + 1:04d}",
        }
        if rng.random() < 0.08:
            node["type"] = "choice"
            node["choices"] = [
                {"text": _sentence(rng), "target": f"n{rng.randint(0, n + 10):04d}", "weight": 1} for _ in range(3)
            ]
        nodes.append(node)
        approx += 330 + (430 if "choices" in node else 0)  # measured: indented JSON of one node
    return json.dumps(doc, indent=2, ensure_ascii=False)


def dialogue_script(rng: random.Random, index: int, target: int) -> str:
    """A Ren'Py-like script of roughly ``target`` bytes."""
    lines = [f"label chapter_{index:05d}:", f"    scene bg {rng.choice(_WORDS)}", "    with dissolve"]
    size = sum(len(line) + 1 for line in lines)
    while size < target:
        line = f'    {rng.choice(_NAMES).lower()} {rng.choice(_MOODS)} "{_sentence(rng)}"'
        if rng.random() < 0.05:
            line = f'    menu:\n        "{_sentence(rng)}":\n            jump chapter_{rng.randint(0, 999):05d}'
        lines.append(line)
        size += len(line.encode()) + 1
    return "\n".join(lines) + "\n"


def make_text(root: Path, total: int, low: int, high: int, seed: int = 2) -> Corpus:
    """Compressible JSON scene documents and dialogue scripts adding up to about ``total`` bytes."""
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    files: list[Path] = []
    written = 0
    for i, size in enumerate(_log_uniform_sizes(rng, total, low, high)):
        if written >= total:
            break
        if i % 5 < 3:
            path, text = root / f"scene_{i:05d}.json", scene_document(rng, i, size)
        else:
            path, text = root / f"script_{i:05d}.rpy", dialogue_script(rng, i, size)
        data = text.encode()
        path.write_bytes(data)
        written += len(data)
        files.append(path)
    return Corpus(root, tuple(files), written)


def make_big_file(path: Path, size: int, seed: str = "big") -> Path:
    """``size`` random bytes written in 8 MiB pieces, never held whole in memory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    step = 8 * MIB
    with open(path, "wb") as f:
        for offset in range(0, size, step):
            f.write(random_bytes(seed, min(step, size - offset), offset))
    return path


def small_objects(count: int, low: int = 1024, high: int = 8192, seed: int = 3) -> list[bytes]:
    """``count`` distinct JSON-like objects of ``low``…``high`` bytes (what events and nodes look like)."""
    rng = random.Random(seed)
    pool = [json.dumps({"speaker": rng.choice(_NAMES), "text": _sentence(rng)}) for _ in range(4096)]
    out: list[bytes] = []
    for i in range(count):
        target = rng.randint(low, high)
        lines: list[str] = []
        size = 60
        while size < target:
            line = rng.choice(pool)
            lines.append(line)
            size += len(line) + 2
        kind = rng.choice(("node.edit", "node.add", "var.set"))
        text = f'{{"event": {i}, "kind": "{kind}", "lines": [{", ".join(lines)}]}}'
        out.append(text.encode()[:target])
    return out


def link_files(files: tuple[Path, ...], dest: Path) -> list[str]:
    """Hard-link ``files`` into ``dest`` so each tool reads the very same inodes (and page cache)."""
    dest.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    for f in files:
        os.link(f, dest / f.name)
        names.append(f.name)
    return names
