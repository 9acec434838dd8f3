"""How aliases are compared: one normal form, and a skeleton for names that only look alike.

- `normalise`: NFKC (full-width letters, ligatures and composed/decomposed accents fold to
  one spelling) with every format character removed (Unicode category Cf: zero-width
  spaces, soft hyphens, word joiners...), which are invisible, so "S\\u00adam" is "Sam".
  Aliases are stored in this form.
- `key`: the normal form, case-folded: what aliases are matched by.
- `skeleton`: the key with letters that look like Latin ones (Cyrillic "а", Greek "ο"...)
  replaced by those, so "Ѕam" (Cyrillic Dze) and "Sаm" (Cyrillic a) have the skeleton of
  "Sam". A new alias whose skeleton is an existing alias's is refused: two names that read
  the same in `list` would make `history Sam` a guess.

The look-alike table is a hand-picked subset of Unicode's confusables (UTS #39) for the
scripts people actually mix up with Latin: Cyrillic, Greek, and a few Latin variants.
Digits are left alone ("Client 1" and "Client l" are both common and meant apart).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping

# lower-case look-alike -> the Latin letter(s) it reads as (after casefold)
_LOOK_ALIKES = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "ь": "b",
    "с": "c",
    "ԁ": "d",
    "е": "e",
    "ё": "ë",
    "һ": "h",
    "н": "h",
    "і": "i",
    "ї": "ï",
    "ј": "j",
    "к": "k",
    "ӏ": "l",
    "м": "m",
    "п": "n",
    "о": "o",
    "р": "p",
    "ԛ": "q",
    "г": "r",
    "ѕ": "s",
    "т": "t",
    "ѵ": "v",
    "ԝ": "w",
    "х": "x",
    "у": "y",
    "ү": "y",
    # Greek
    "α": "a",
    "β": "b",
    "ε": "e",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "γ": "y",
    "ω": "w",
    "ϲ": "c",
    "ϳ": "j",
    # Latin variants that survive NFKC and casefold
    "ı": "i",
    "ȷ": "j",
    "ɑ": "a",
    "ɡ": "g",
    "ɩ": "i",
    "ʏ": "y",
    "ᴅ": "d",
}
# capitals that look like Latin capitals but fold to letters that do not look like the
# Latin lower case (Greek Eta "Η" looks like H, its "η" like n): read before case-folding
_CAPITALS = {
    "Α": "A",
    "Β": "B",
    "Ε": "E",
    "Ζ": "Z",
    "Η": "H",
    "Ι": "I",
    "Κ": "K",
    "Μ": "M",
    "Ν": "N",
    "Ο": "O",
    "Ρ": "P",
    "Τ": "T",
    "Υ": "Y",
    "Χ": "X",
    "А": "A",
    "В": "B",
    "Е": "E",
    "К": "K",
    "М": "M",
    "Н": "H",
    "О": "O",
    "Р": "P",
    "С": "C",
    "Т": "T",
    "У": "Y",
    "Х": "X",
    "Ѕ": "S",
    "І": "I",
    "Ј": "J",
    "Ԛ": "Q",
    "Ԝ": "W",
}
_TABLE = str.maketrans(_LOOK_ALIKES)
_CAPITALS_TABLE = str.maketrans(_CAPITALS)


def _collapse(text: str) -> str:
    return " ".join(text.split())


ZWJ = "\u200d"


def _joins_emoji(text: str, at: int) -> bool:
    """A zero-width joiner inside an emoji sequence ("👩\u200d⚕️") is part of a visible
    picture; anywhere else it is invisible padding."""
    before = text[at - 1] if at > 0 else ""
    if before in ("\ufe0f", "\ufe0e") and at > 1:  # a variation selector: look past it
        before = text[at - 2]
    after = text[at + 1] if at + 1 < len(text) else ""
    return bool(before and after) and all(
        unicodedata.category(ch) in ("So", "Sk") for ch in (before, after)
    )


def normalise(alias: str) -> str:
    """The stored form: NFKC, format characters removed (except a joiner inside an emoji),
    whitespace runs as one space."""
    folded = unicodedata.normalize("NFKC", alias)
    visible = "".join(
        ch
        for at, ch in enumerate(folded)
        if unicodedata.category(ch) != "Cf" or (ch == ZWJ and _joins_emoji(folded, at))
    )
    return _collapse(unicodedata.normalize("NFKC", visible))


def key(alias: str) -> str:
    """What aliases are matched by: the normal form, case-insensitive."""
    return _collapse(unicodedata.normalize("NFKC", normalise(alias).casefold()))


def skeleton(alias: str) -> str:
    """The key with look-alike letters read as the Latin ones they resemble: capitals
    first (as typed), then the case-folded letters."""
    latin_capitals = normalise(alias).translate(_CAPITALS_TABLE)
    decomposed = unicodedata.normalize("NFD", key(latin_capitals))
    return unicodedata.normalize("NFC", decomposed.translate(_TABLE))


def look_alike(alias: str, existing: Iterable[str]) -> str | None:
    """The first of `existing` that reads like `alias` without being the same name."""
    mine, shape = key(alias), skeleton(alias)
    for other in existing:
        if key(other) != mine and skeleton(other) == shape:
            return other
    return None


def matching(index: Mapping[str, str], alias: str) -> list[str]:
    """Ids of the entries of an alias index (stored key -> id) that `alias` names, keys
    stored before normalisation included (they may still hold format characters)."""
    wanted = key(alias)
    return sorted({rid for stored, rid in index.items() if key(stored) == wanted})


def reading_like(index: Mapping[str, str], alias: str) -> list[str]:
    """Ids of the entries of an alias index that read like `alias` (same skeleton): what a
    lookup falls back to when no alias is `alias` itself, e.g. "Sam" typed on a Latin
    keyboard for a relationship added as Cyrillic "Ѕam"."""
    shape = skeleton(alias)
    return sorted({rid for stored, rid in index.items() if skeleton(stored) == shape})
