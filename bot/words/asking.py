"""A message to the bot in words -> a typed request. Pure: no Slack, no pandas, no network.

People write to segbot the way they talk ("@segbot try 4 gropus", "what about age and spnd?",
"tell me more about the carefull spenders"). No language model: a few patterns for numbers,
the reading and the commands, and rapidfuzz's edit distances (optimal string alignment, so a
swapped pair of letters is one typo) to match words to the file's headers and to the previous
answer's segment names. Whatever is not understood becomes ``kind="unclear"`` and the bot
answers with examples that work on this file.

>>> parse("try 4 gropus").k
4
>>> parse("what about age and spnd", headers=("Age", "Spending Score (1-100)")).columns
('Age', 'Spending Score (1-100)')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

__all__ = ["Asked", "Kind", "KnownSegment", "parse", "clean_text", "examples"]

Kind = Literal["segment", "about", "ask_back", "history", "compare", "help", "unclear"]
Mode = Literal["auto", "customers", "rfm"]

# A word this close to a known word (1 - edits / length, transpositions count once) is that
# word: one typo in five letters, "gropus" for "groups", "carefull" for "careful".
WORD_CUTOFF = 0.75
# Two candidates whose scores differ by less than this fit equally: ask which one was meant.
TIE_MARGIN = 0.05
# A phrase names a segment when its words match the segment's words this well on average.
SEGMENT_CUTOFF = 0.8
# How much the words' order counts when telling two segments apart (added to the score).
ORDER_WEIGHT = 0.5

_NUMBER_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a couple of": 2,
    "a couple": 2,
    "couple of": 2,
}
_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "last": -1,
}
_GROUP_NOUNS = (
    "group",
    "groups",
    "segment",
    "segments",
    "cluster",
    "clusters",
    "bucket",
    "buckets",
    "tier",
    "tiers",
    "persona",
    "personas",
    "audience",
    "audiences",
    "categories",
    "category",
    "slices",
    "kinds",
    "types",
)
# Words that carry no meaning of their own in a request to segbot.
_FILLER = frozenset(
    """
    a an the and or of to in on at by for with about me my us our you your it its this that
    these those them they their please pls plz can could would will should do does did is are
    was were be been what whats how who which why where try use using instead just only maybe
    some any let lets tell show give see look more details detail detailed info information
    describe explain ones one people customers customer folks guys clients buyers shoppers
    users mean so ok okay hey hi hello segbot now again then also split cut into break
    columns column cols by based want wanted id like i im we see see from but yet than still
    though very really quite
    """.split()
)
# Words that say "tell me about one segment" rather than "segment again".
_ABOUT_CUES = (
    r"\btell me\b",
    r"\bmore about\b",
    r"\bwho (are|is)\b",
    r"\bdescribe\b",
    r"\bdetails?\b",
    r"\bexplain\b",
    r"\bwhat about the\b",
    r"\bshow me the\b",
    r"\binfo\b",
)
# Everyday words for what a header measures ("spend" -> a "Spending" column).
_SYNONYMS = {
    "spend": ("spending", "spend", "spent", "purchase", "purchases", "sales", "revenue"),
    "spending": ("spending", "spend", "spent"),
    "earnings": ("income", "salary", "earnings", "wage"),
    "earn": ("income", "salary", "earnings", "wage"),
    "salary": ("income", "salary", "wage"),
    "wage": ("income", "salary", "wage"),
    "pay": ("income", "salary", "wage"),
    "money": ("income", "spending", "monetary", "revenue"),
    "old": ("age",),
    "young": ("age",),
    "years": ("age",),
    "gender": ("gender", "genre", "sex"),
    "sex": ("gender", "genre", "sex"),
    "orders": ("orders", "frequency", "order"),
    "visits": ("visits", "frequency"),
    "recent": ("recency", "recent", "last"),
}
# Everyday words for the levels in segment names ("big spenders" -> "high spend").
_SEGMENT_WORDS = {
    "big": "high",
    "heavy": "high",
    "top": "high",
    "rich": "high income",
    "wealthy": "high income",
    "affluent": "high income",
    "small": "low",
    "light": "low",
    "poor": "low income",
    "young": "low age",
    "younger": "low age",
    "old": "high age",
    "older": "high age",
    "spenders": "spend",
    "earners": "income",
    "vip": "high income high spend",
    "vips": "high income high spend",
    # The words of wide tables' names (segmentation.explain.wording) as people say them.
    "online": "web",
    "website": "web",
    "internet": "web",
    "catalogue": "catalog",
    "catalogues": "catalog",
    "mail": "catalog",
    "shop": "purchases",
    "stores": "store",
    "instore": "store",
    "discount": "deal",
    "discounts": "deal",
    "bargain": "deal",
    "bargains": "deal",
    "coupons": "deal",
    "deals": "deal",
    "browse": "web visits",
    "browsing": "web visits",
    "browsers": "web visits",
    "visitors": "visits",
    "buy": "purchases",
    "buys": "purchases",
    "bought": "purchases",
    "buying": "purchases",
    "shopping": "purchases",
    "orders": "purchases",
    "instalment": "installment",
    "instalments": "installment",
    "debt": "balance",
    "owe": "balance",
    "withdrawals": "cash advance",
    "loyal": "high tenure",
    "newcomers": "low tenure",
    "wines": "wine",
    "sweets": "sweet",
    "fruits": "fruit",
    "fish": "fish",
}
# Level words around a verb or noun: "don't spend much" is low spend, "buy a lot" high
# purchases. Before the word they qualify...
_LOW_BEFORE = frozenset(
    """
    don't dont doesn't doesnt didn't didnt never not no rarely seldom hardly barely few fewer
    less little lower lowest
    """.split()
)
_HIGH_BEFORE = frozenset("lots many frequent frequently often regular regularly more".split())
# ...and after it ("spend little", "visit often").
_HIGH_AFTER = frozenset(
    """
    much many lot lots loads plenty often frequently heavily regularly more freely hunters
    lovers fans addicts enthusiasts
    """.split()
)
_LOW_AFTER = frozenset("little less rarely seldom sparingly".split())
_LEVELS = frozenset({"low", "medium", "high"})
# Slack writes mentions as <@U123> and escapes three characters in message text.
_MENTION = re.compile(r"<@[A-Z0-9]+(\|[^>]*)?>")
_LINK = re.compile(r"<(?:mailto:)?([^|>]+)(?:\|([^>]*))?>")
_SLACK_ESCAPES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


@dataclass(frozen=True)
class KnownSegment:
    """A segment of the previous answer: its name and description (as the answer showed)."""

    name: str
    description: str = ""


@dataclass(frozen=True)
class Asked:
    """What a message asked for.

    ``kind``:
      ``segment`` run again with ``k`` (or ``k_step`` +1/-1 from the previous answer),
      ``columns`` (matched headers; ``matched`` pairs the person's words with them) and
      ``mode``; ``about`` tell more about segment ``segment`` (0-based position in the previous
      answer); ``ask_back`` ``word`` fits every one of ``choices`` equally (segment names when
      ``choosing_segment``, else headers);
      ``history``/``compare``/``help`` the commands; ``unclear`` nothing understood.
    """

    kind: Kind
    k: int | None = None
    k_step: int = 0
    columns: tuple[str, ...] | None = None
    matched: tuple[tuple[str, str], ...] = ()
    mode: Mode | None = None
    segment: int | None = None
    word: str = ""
    choices: tuple[str, ...] = ()
    choosing_segment: bool = False


def clean_text(text: str) -> str:
    """Slack's message text as a person reads it: mentions out, links and escapes undone."""
    text = _MENTION.sub(" ", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    for escaped, plain in _SLACK_ESCAPES:
        text = text.replace(escaped, plain)
    return " ".join(text.split())


def parse(
    text: str,
    *,
    headers: Sequence[str] = (),
    segments: Sequence[KnownSegment] = (),
) -> Asked:
    """Understand one message.

    ``headers`` are the file's columns that may be clustered (personal data left out by the
    caller); ``segments`` the previous answer's segments in the order it listed them.
    """
    plain = clean_text(text).lower()
    plain = re.sub(r"[‘’`´]", "'", plain)
    words = _words(plain)
    if not words:
        return Asked("help")
    if any(_near(w, ("help", "usage", "commands", "examples")) for w in words) or re.search(
        r"\bwhat can you do\b|\bhow does (this|it) work\b|^\?+$", plain
    ):
        return Asked("help")
    if any(_near(w, ("history",)) for w in words) or re.search(
        r"\b(previous|past|earlier|old) (runs|answers|results)\b", plain
    ):
        return Asked("history")
    if any(_near(w, ("compare", "comparison")) for w in words) or re.search(
        r"\bwhat (has )?changed\b|\bdifference\b", plain
    ):
        return Asked("compare")

    rest = plain
    mode, rest = _mode(rest)
    position, rest = _segment_number(rest, len(segments))
    if position is not None:
        if position == -1 or not 0 <= position < max(len(segments), 1):
            return Asked("unclear")
        return Asked("about", segment=position)
    k, k_step, rest = _count(rest)

    about_cue = any(re.search(cue, rest) for cue in _ABOUT_CUES)
    content = [w for w in _words(rest) if w not in _FILLER]
    found_segment = _find_segment(content, segments)
    columns = _find_columns(rest, headers)

    if about_cue and isinstance(found_segment, Asked) and k is None and not k_step:
        return found_segment
    if isinstance(columns, Asked):  # a word fits two headers equally
        return columns
    if columns:
        return Asked(
            "segment",
            k=k,
            k_step=k_step,
            columns=tuple(dict.fromkeys(h for _, h in columns)),
            matched=tuple(columns),
            mode=mode,
        )
    if isinstance(found_segment, Asked) and k is None and not k_step and mode is None:
        return found_segment
    if k is not None or k_step or mode is not None:
        return Asked("segment", k=k, k_step=k_step, mode=mode)
    return Asked("unclear")


def examples(headers: Sequence[str], segments: Sequence[KnownSegment]) -> list[str]:
    """Three things to write that work on this file (its real headers and segment names)."""
    found = [f"try {min(max(len(segments), 3) + 1, 8)} groups"]
    if len(headers) >= 2:
        found.append(f"what about {_short(headers[0])} and {_short(headers[1])}?")
    elif headers:
        found.append(f"what about {_short(headers[0])}?")
    else:
        found.append("fewer groups")
    if segments:
        found.append(f"tell me more about {segments[0].name.lower()}")
    else:
        found.append("as orders" if any("date" in h.lower() for h in headers) else "more groups")
    return found


# ---------------------------------------------------------------------------- the parts


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9$]+(?:'[a-z]+)?", text)


def _similar(word: str, known: str) -> float:
    """How close ``word`` is to ``known`` (0 to 1); a word may stop short ("spend"/"spending")."""
    if word == known:
        return 1.0
    if len(word) < 3 or len(known) < 3:
        return 0.0
    best = OSA.normalized_similarity(word, known)
    if len(word) >= 4 and len(known) > len(word):
        # "spend" for "spending", "spnd" for "spend(ing)": compare with the beginning.
        for cut in (len(word), len(word) + 1):
            best = max(best, OSA.normalized_similarity(word, known[:cut]) - 0.02)
    if len(known) >= 4 and len(word) > len(known):
        # "spenders" for "spend".
        best = max(best, OSA.normalized_similarity(word[: len(known)], known) - 0.02)
    if len(word) == 3 or len(known) == 3:
        best = best if best >= 0.99 else 0.0  # three letters: no room for a typo
    return best


def _near(word: str, known: Sequence[str], cutoff: float = WORD_CUTOFF) -> bool:
    return any(OSA.normalized_similarity(word, k) >= cutoff for k in known if len(word) >= 4) or (
        word in known
    )


def _mode(text: str) -> tuple[Mode | None, str]:
    patterns: tuple[tuple[str, Mode], ...] = (
        (r"\b(as|by|per) (an? )?(orders?|order log|purchases|transactions)\b", "rfm"),
        (r"\brfm\b|\bmode ?= ?rfm\b|\border log\b|\bone row per order\b", "rfm"),
        (r"\b(as|by|per) (a )?(customers?|customer list|people)\b", "customers"),
        (r"\bmode ?= ?customers?\b|\bone row per customer\b", "customers"),
    )
    for pattern, mode in patterns:
        found = re.search(pattern, text)
        if found:
            return mode, text[: found.start()] + " " + text[found.end() :]
    return None, text


def _segment_number(text: str, count: int) -> tuple[int | None, str]:
    nouns = "|".join(_GROUP_NOUNS)
    found = re.search(rf"\b(?:{nouns})\s*(?:number|no\.?|#)?\s*#?(\d+)\b", text)
    if found:
        return int(found.group(1)) - 1, text[: found.start()] + text[found.end() :]
    ordinals = "|".join(_ORDINALS)
    found = re.search(rf"\b(?:the )?({ordinals}|\d+(?:st|nd|rd|th)) (?:{nouns})\b", text)
    if found:
        word = found.group(1)
        number = _ORDINALS.get(word) or int(re.sub(r"\D", "", word))
        position = count - 1 if number == -1 and count else number - 1
        return position, text[: found.start()] + text[found.end() :]
    return None, text


def _count(text: str) -> tuple[int | None, int, str]:
    """A number of segments ("4 groups", "four segments", "k=4") or "more"/"fewer"."""
    found = re.search(r"\bk\s*=\s*(\d+)\b", text)
    if found:
        return int(found.group(1)), 0, text[: found.start()] + text[found.end() :]
    numbers = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
    for match in re.finditer(rf"\b(\d+|{numbers})\s+([a-z]+)", text):
        if _is_group_noun(match.group(2)):
            raw = match.group(1)
            k = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
            return k, 0, text[: match.start()] + text[match.end() :]
    words = _words(text)
    for i, word in enumerate(words):
        step = 1 if word in ("more", "finer", "smaller") else -1 if word in ("fewer", "less") else 0
        if not step:
            continue
        after = words[i + 1] if i + 1 < len(words) else ""
        alone = all(w in _FILLER or w == word or _is_group_noun(w) for w in words)
        if _is_group_noun(after) or alone or (word == "fewer" and after != "about"):
            rest = re.sub(rf"\b{word}\b(\s+[a-z]+)?", " ", text, count=1)
            if not _is_group_noun(after):
                rest = re.sub(rf"\b{word}\b", " ", text, count=1)
            return None, step, rest
    # "try 4" / "4 please": a bare small number is a number of segments.
    bare = [w for w in words if w not in _FILLER]
    if len(bare) == 1 and bare[0].isdigit() and 2 <= int(bare[0]) <= 20:
        return int(bare[0]), 0, ""
    return None, 0, text


def _is_group_noun(word: str) -> bool:
    return any(OSA.normalized_similarity(word, noun) >= WORD_CUTOFF for noun in _GROUP_NOUNS)


def _header_words(header: str) -> list[str]:
    # Units in brackets ("(k$)", "(1-100)") are not what people call a column.
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", header)
    without_units = re.sub(r"\([^)]*\)", " ", spaced).lower()
    return [w for w in re.findall(r"[a-z0-9]+", without_units) if w] or [header.lower()]


def _word_to_header(word: str, header_words: list[str]) -> float:
    best = max(_similar(word, w) for w in header_words)
    for synonym in _SYNONYMS.get(word, ()):
        if synonym in header_words:
            best = max(best, 0.97)
    return best


def _find_columns(text: str, headers: Sequence[str]) -> list[tuple[str, str]] | Asked | None:
    """Each piece of "age and spend" -> the header it names; None unless every piece does."""
    if not headers:
        return None
    exact = {h.lower(): h for h in headers}
    pieces = re.split(r",|;|&|\+|/|\band\b|\bvs\.?\b|\bversus\b|\bwith\b|\bplus\b", text)
    matched: list[tuple[str, str]] = []
    for piece in pieces:
        content = [w for w in _words(piece) if w not in _FILLER and not _is_group_noun(w)]
        if not content:
            continue
        phrase = " ".join(content)
        if phrase in exact:
            matched.append((phrase, exact[phrase]))
            continue
        scored = []
        for header in headers:
            words = _header_words(header)
            score = sum(_word_to_header(w, words) for w in content) / len(content)
            scored.append((score, header))
        scored.sort(key=lambda pair: pair[0], reverse=True)
        best_score, best = scored[0]
        if best_score < WORD_CUTOFF:
            return None  # a piece that names no column: this is not a list of columns
        tied = [h for s, h in scored if best_score - s < TIE_MARGIN]
        if len(tied) > 1:
            return Asked("ask_back", word=phrase, choices=tuple(tied))
        matched.append((phrase, best))
    return matched or None


def _segment_words(segment: KnownSegment) -> list[str]:
    # The name, and the description up to its first pause ("Careful spenders with money to
    # spend: they can ..."), which is how people paraphrase a segment.
    head = re.split(r"[:(.;]", segment.description, maxsplit=1)[0]
    return [w for w in _words(f"{segment.name} {head}".lower()) if w not in _FILLER]


def _level_words(words: list[str], names: Sequence[str]) -> list[str]:
    """Everyday level phrases as a name's level words: "don't spend much" -> "low spend",
    "spend a lot" -> "high spend", "rarely visit" -> "low visit". A word the names use as it
    is stays itself."""
    out: list[str] = []
    pending: str | None = None  # a level said before the word it qualifies
    said_low = False  # the last word was qualified "low" by a word before it
    for w in words:
        own = w in names
        if not own and w in _LOW_BEFORE:
            pending = "low"
            continue
        if not own and w in _HIGH_BEFORE and pending is None:
            pending = "high"
            continue
        after = None if own else "high" if w in _HIGH_AFTER else "low" if w in _LOW_AFTER else None
        if after is not None:
            # "don't spend much": "much" repeats what "don't" said.
            if out and out[-1] not in _LEVELS and not said_low:
                if len(out) >= 2 and out[-2] in _LEVELS:
                    out[-2] = after
                else:
                    out.insert(len(out) - 1, after)
            said_low = False
            continue
        if pending is not None:
            out += [pending, w]
            said_low, pending = pending == "low", None
            continue
        said_low = False
        out.append(w)
    return out


def _find_segment(content: list[str], segments: Sequence[KnownSegment]) -> Asked | None:
    content = [w for w in content if not _is_group_noun(w)]
    names = [w for s in segments for w in _words(s.name.lower())]
    content = _level_words(content, names)
    # Everyday words stand for a name's words, unless the names use them as they are.
    content = [
        part
        for w in content
        for part in (_SEGMENT_WORDS[w].split() if w in _SEGMENT_WORDS and w not in names else [w])
    ]
    if not segments or not content:
        return None
    scored = []
    for position, segment in enumerate(segments):
        words = _segment_words(segment)
        if not words:
            continue
        score = sum(max(_similar(w, s) for s in words) for w in content) / len(content)
        # Naming the whole name beats naming a word it shares with others ("low spend").
        name_words = [w for w in _words(segment.name.lower()) if w not in _FILLER]
        covered = sum(1 for n in name_words if any(_similar(w, n) >= WORD_CUTOFF for w in content))
        # Word order tells "Low age, high spend" from "High age, low spend".
        phrase = " ".join(content)
        order = (
            max(
                fuzz.ratio(phrase, " ".join(name_words)),
                fuzz.partial_ratio(phrase, " ".join(words)),
            )
            / 100
        )
        scored.append((score + ORDER_WEIGHT * order, covered / max(len(name_words), 1), position))
    if not scored:
        return None
    scored.sort(reverse=True)
    best_score, best_cover, best = scored[0]
    if best_score < SEGMENT_CUTOFF + ORDER_WEIGHT * 0.5:
        return None
    tied = [p for s, c, p in scored if best_score - s < TIE_MARGIN and abs(best_cover - c) < 1e-9]
    if len(tied) > 1:
        return Asked(
            "ask_back",
            word=" ".join(content),
            choices=tuple(segments[p].name for p in sorted(tied)),
            choosing_segment=True,
        )
    return Asked("about", segment=best)


def _short(header: str) -> str:
    words = _header_words(header)
    return " ".join(words[:2]).lower()
