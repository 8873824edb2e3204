"""How many SMS segments a text costs, so a channel can refuse texts over its budget.

Carriers bill and deliver SMS in segments. Text within the GSM 03.38 alphabet packs 160
septets in a single segment and 153 in each part of a longer one (the rest carries the
concatenation header); the extension characters take two septets and never straddle a
boundary. Any other character switches the whole text to UCS-2: 70 UTF-16 units alone,
67 per part, and a surrogate pair is never split.
"""

from __future__ import annotations

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


def count_segments(text: str) -> int:
    """Segments the text is sent in; an empty text still costs one."""
    if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text):
        sizes = [2 if c in GSM_EXTENSION else 1 for c in text]
        return _packed(sizes, single=160, part=153)
    sizes = [len(c.encode("utf-16-le")) // 2 for c in text]
    return _packed(sizes, single=70, part=67)


def _packed(sizes: list[int], *, single: int, part: int) -> int:
    if sum(sizes) <= single:
        return 1
    parts, room = 1, part
    for size in sizes:
        if size > room:
            parts, room = parts + 1, part
        room -= size
    return parts
