"""Whether a disclosure is in a message, judged from the message as the debtor receives it.

A template may call `disclosure(...)` inside a branch that is not taken, or print it in a
part nobody reads; so presence is decided on the rendered output, never on the calls.
Whitespace is compared loosely (a line break in a wrapped paragraph is a space), and HTML
is compared as the text a reader sees: tags removed, entities decoded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html.parser import HTMLParser

# Tags that end a line of visible text; other tags (a, b, span, ...) sit inside a sentence.
_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt footer h1 h2 h3 h4 h5 h6 header hr "
    "li main nav ol p pre section table tbody td tfoot th thead tr ul".split()
)
# Tags whose content is never shown to a reader.
_HIDDEN_TAGS = frozenset({"head", "script", "style", "template", "title"})


def normalised(text: str) -> str:
    return " ".join(text.split())


def visible_text(html: str) -> str:
    """The text of an HTML document as a reader sees it, whitespace-normalised."""
    reader = _TextReader()
    reader.feed(html)
    reader.close()
    return normalised("".join(reader.pieces))


class _TextReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag in _BLOCK_TAGS:
            self.pieces.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.pieces.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.pieces.append(data)


def present(texts: Mapping[str, str], parts: Sequence[str]) -> tuple[str, ...]:
    """The disclosures whose text is in every part, in the order they first appear.

    `texts` are the disclosures' rendered texts; `parts` the message's readable texts,
    already normalised (an email's text part and its HTML part's visible text).
    """
    if not parts:
        return ()
    found: list[tuple[int, str]] = []
    for name, text in texts.items():
        wanted = normalised(text)
        if wanted and all(wanted in part for part in parts):
            found.append((parts[0].index(wanted), name))
    return tuple(name for _, name in sorted(found))
