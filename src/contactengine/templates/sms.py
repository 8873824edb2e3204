"""How an SMS body travels: its encoding and the number of segments the carrier bills.

A body in the GSM 03.38 alphabet goes as 7-bit septets: 160 in one message, 153 per part
once it needs several (the rest carry the part header). One character outside it, an
accented `á` or an emoji, sends the whole body as UCS-2: 70 UTF-16 code units, or 67 per
part. A two-septet extension character (`€`, `[`, ...) and an emoji's two code units are
never split across parts, so one that would straddle a boundary starts the next part; that
is the only time the count exceeds ceil(length / per-part size).
"""

from __future__ import annotations

from collections.abc import Sequence

GSM_7 = "GSM-7"
UCS_2 = "UCS-2"

# The GSM 03.38 default alphabet, without its escape code (0x1B), which only introduces
# an extension character and is never text of its own.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each is sent as the escape code and itself, two septets.
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")

_LIMITS = {GSM_7: (160, 153), UCS_2: (70, 67)}


def sms_segments(text: str) -> tuple[str, int]:
    """("GSM-7" | "UCS-2", number of segments) for an SMS body."""
    septets = _septets(text)
    if septets is not None:
        return GSM_7, _count(septets, *_LIMITS[GSM_7])
    units = [len(char.encode("utf-16-le")) // 2 for char in text]
    return UCS_2, _count(units, *_LIMITS[UCS_2])


def _septets(text: str) -> list[int] | None:
    """Each character's size in septets, or None when one is not in the GSM alphabet."""
    sizes: list[int] = []
    for char in text:
        if char in GSM_BASIC:
            sizes.append(1)
        elif char in GSM_EXTENSION:
            sizes.append(2)
        else:
            return None
    return sizes


def _count(sizes: Sequence[int], single: int, per_part: int) -> int:
    if sum(sizes) <= single:
        return 1
    parts, used = 1, 0
    for size in sizes:
        if used + size > per_part:
            parts, used = parts + 1, 0
        used += size
    return parts
