"""The card's changelog: each published version adds one line, newest first, and keeps the older ones.

The export's card is rebuilt from the data and knows nothing of earlier versions; the Hub's current card
does. At push time the entries are read from the published card and the new one is put on top, so the
card of every tag lists that version and all before it.
"""

from __future__ import annotations

import re
import time

BEGIN = "<!-- BEGIN spc-changelog -->"
END = "<!-- END spc-changelog -->"
_ENTRY = re.compile(r"^- \*\*(?P<revision>[^*]+)\*\*", re.MULTILINE)


def entries(card_text: str | None) -> list[str]:
    """The changelog lines of a card (none if it has no changelog block)."""
    if not card_text or BEGIN not in card_text or END not in card_text:
        return []
    block = card_text[card_text.index(BEGIN) + len(BEGIN):card_text.index(END)]
    return [line for line in block.splitlines() if _ENTRY.match(line)]


def with_entry(card_text: str, previous_card: str | None, revision: str, text: str) -> str:
    """`card_text` whose changelog block holds `revision`'s entry, then the previous card's other entries."""
    if BEGIN not in card_text or END not in card_text:
        return card_text  # a card the user rewrote without the block: leave their text alone
    older = [e for e in entries(previous_card) if _ENTRY.match(e).group("revision") != revision]
    lines = [f"- **{revision}** ({time.strftime('%Y-%m-%d')}): {text}", *older]
    head, tail = card_text[:card_text.index(BEGIN)], card_text[card_text.index(END):]
    return head + BEGIN + "\n" + "\n".join(lines) + "\n" + tail
