"""The words a result is told in: what to do first, columns as words, how sure we are.

One source for the CLI's text, ``report.md`` and the Slack message: the pipelines call these
functions and store the sentences on the result (``priority``, ``confidence``), and every
front end shows those fields. Statistics stay in numbers only in ``--json`` and ``report.md``;
these sentences never say "silhouette", "inertia" or "elbow".

The priority rule
-----------------
Order logs: the segment with the most money at stake among customers who used to buy and are
slipping away ("Can't lose them", "At risk", "Needs attention"), by their total spend (by
customers when the log has no amounts). When no segment is slipping, the segment with the
largest total spend. Customer files: with a spend column, the segment with the highest average
spend among those holding at least 5% of the customers (the most valuable per customer, big
enough to act on); without one, the largest segment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from segmentation.explain.wording import header_words
from segmentation.model.stability import STABLE, UNTRUSTED
from segmentation.read.orders.money import CURRENCY_SYMBOLS, format_money
from segmentation.result import Segment

__all__ = [
    "SLIPPING",
    "MIN_PRIORITY_SHARE",
    "column_words",
    "column_phrase",
    "centre_words",
    "customers_priority",
    "orders_priority",
    "confidence_line",
    "duration_words",
    "outlook_words",
    "horizon_words",
]

# RFM segments of customers who used to buy and are slipping away, most urgent first.
SLIPPING = ("Can't lose them", "At risk", "Needs attention")
# A customer-file segment smaller than this share is too small to lead with.
MIN_PRIORITY_SHARE = 0.05

_SCALE = re.compile(r"^\s*([01])\s*(?:-|–|to)\s*(\d+)\s*$")
_CODES = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹"}
_COUNT_OF = re.compile(r"^(?:number of|no\.? of|num of|count of|#)\s*", re.IGNORECASE)


def column_words(column: str) -> str:
    """A header as words in a sentence: 'Annual Income (k$)' -> 'annual income',
    'NumWebPurchases' -> 'web purchases'."""
    return header_words(column)


def column_phrase(column: str, value: float, currency: str | None = None) -> str:
    """A column and a value as words: ``'an annual income of 88.2 k$'``.

    The unit in the header's brackets is kept ("k$", "kg"), a "(1-100)" scale reads "out of
    100", and money (a currency in the brackets, or ``currency`` from the file's values) is
    written in its currency.

    Examples
    --------
    >>> column_phrase("Spending Score (1-100)", 17.1)
    'a spending score of 17 out of 100'
    >>> column_phrase("Annual Income (k$)", 88.2)
    'an annual income of 88.2 k$'
    """
    base, unit = _split_header(column)
    words = _COUNT_OF.sub("", header_words(base)).strip() or header_words(base)
    value_text = _value_words(value, unit, currency)
    if _is_plural(words):
        # Counts read as counts ("30 visits"), money as an amount in it ("£500 in sales").
        money = _money_symbol(unit, currency) is not None
        return f"{value_text} in {words}" if money else f"{value_text} {words}"
    return f"{_article(words)} {words} of {value_text}"


def centre_words(centroid: Mapping[str, float], currencies: Mapping[str, str] | None = None) -> str:
    """A segment's averages as one phrase: 'an annual income of 88.2 k$ and a spending ...'."""
    currencies = currencies or {}
    parts = [column_phrase(c, v, currencies.get(c)) for c, v in centroid.items()]
    return _and(parts)


def customers_priority(
    segments: Sequence[Segment],
    spend_column: str | None,
    actions: Sequence[str],
    currency: str | None = None,
) -> str:
    """Which segment of a customer file to act on first, and why (see the module's rule).

    ``actions[i]`` is the suggested action for ``segments[i]``; ``currency`` is the spend
    column's currency when the file wrote one.
    """
    if not segments:
        return ""
    if spend_column is None:
        seg = max(segments, key=lambda s: (s.size, -s.id))
        why = f"your largest segment, {_customers(seg.size)} ({_percent(seg.share)})"
    else:
        big = [s for s in segments if s.share >= MIN_PRIORITY_SHARE] or list(segments)
        seg = max(big, key=lambda s: (s.centroid[spend_column], s.size))
        value = _value_words(seg.centroid[spend_column], _split_header(spend_column)[1], currency)
        why = (
            f"{_customers(seg.size)} ({_percent(seg.share)}) with the highest "
            f"{header_words(spend_column)}, {value} on average"
        )
    action = actions[segments.index(seg)]
    return f"Start with {seg.name}: {why}. {action}{_caution(seg)}"


def orders_priority(
    segments: Sequence[Segment],
    bases: Sequence[str],
    actions: Sequence[str],
    totals: Sequence[float] | None,
    recency_days: Sequence[float],
    currency: str | None,
    outlooks: Sequence[str] | None = None,
) -> str:
    """Which segment of an order log to act on first: the most value at stake.

    ``bases[i]`` is segment i's name without a qualifier ("At risk"), ``totals[i]`` its
    customers' total spend (None without amounts), ``recency_days[i]`` their median days since
    the last order, ``outlooks[i]`` what the purchase model expects of them (see
    :func:`outlook_words`; None when nothing was predicted).

    Examples
    --------
    >>> from segmentation.result import Segment
    >>> seg = Segment(0, "At risk", 240, 0.3, {}, {}, {}, "", "#000", "x")
    >>> line = orders_priority([seg], ["At risk"], ["Call."], [96_437.0], [182.0], "$")
    >>> line.split(": ")[1].split(" and ")
    ['240 customers who spent $96,400 in all', 'have not ordered for about 6 months. Call.']
    """
    if not segments:
        return ""

    def worth(i: int) -> float:
        return totals[i] if totals is not None else float(segments[i].size)

    slipping = [i for i, b in enumerate(bases) if b in SLIPPING]
    pick = max(slipping or range(len(segments)), key=lambda i: (worth(i), -i))
    seg = segments[pick]
    who = _customers(seg.size)
    if totals is not None:
        spent = format_money(totals[pick], currency, approximate=True)
        who += f" who spent {spent} in all"
    else:
        who += " who"
    if bases[pick] in SLIPPING:
        then = f"have not ordered for {duration_words(recency_days[pick])}"
        text = f"{who} and {then}" if totals is not None else f"{who} {then}"
    elif totals is not None:
        share = totals[pick] / sum(totals) if sum(totals) > 0 else 0.0
        text = f"{who}, {_percent(share)} of all spend"
    else:
        text = f"{_customers(seg.size)}, your largest group"
    outlook = f"{outlooks[pick]} " if outlooks else ""
    return f"Start with {seg.name}: {text}. {outlook}{actions[pick]}{_caution(seg)}"


def outlook_words(
    p_active: float | None,
    orders: float,
    spend: float | None,
    horizon_days: float,
    currency: str | None,
    *,
    returners_only: bool = False,
) -> str:
    """What the purchase model expects of a group of customers, in one sentence.

    ``p_active`` is their average chance of still buying (None when most of them bought on one
    day only: the model cannot tell whether they stopped, so the words do not pretend to);
    ``returners_only`` when it is the average of the customers who came back, not of all.
    ``orders`` and ``spend`` are their total expected orders and spend over the horizon
    (``spend`` None when it was not predicted).

    Examples
    --------
    >>> outlook_words(0.4, 310.0, 12_345.0, 365, "$")
    'About 40% of them are likely still buying; together they are expected to spend about \
$12,300 in the next year.'
    >>> outlook_words(None, 2.4, None, 90, None)
    'Whether they still buy cannot be told from one order; together they are expected to \
place about 2 orders in the next 90 days.'
    """
    whom = "those who came back" if returners_only else "them"
    if p_active is None:
        still = "Whether they still buy cannot be told from one order"
    elif p_active < 0.005:
        still = f"Almost none of {whom} are likely still buying"
    else:
        still = f"About {p_active:.0%} of {whom} are likely still buying"
    if spend is not None:
        then = f"spend about {format_money(spend, currency, approximate=True)}"
    elif orders < 0.5:
        then = "place hardly any orders"
    else:
        count = float(f"{orders:.3g}") if orders >= 1000 else round(orders)
        then = f"place about {count:,.0f} order" + ("" if count == 1 else "s")
    return f"{still}; together they are expected to {then} in {horizon_words(horizon_days)}."


def horizon_words(days: float) -> str:
    """'the next year' for 365 days, 'the next 2 years', else 'the next 90 days'."""
    years = days / 365
    if days >= 365 and abs(years - round(years)) < 1e-9:
        return "the next year" if round(years) == 1 else f"the next {round(years)} years"
    return f"the next {days:,g} day" + ("" if days == 1 else "s")


def confidence_line(
    *,
    weak: bool,
    clear: bool,
    k: int,
    how: str,
    stabilities: Sequence[float | None],
) -> str:
    """The closing line on how sure we are, in plain words.

    ``weak`` when the segments are cuts of a continuum, ``clear`` when they stand well apart;
    ``how`` says how the number of segments was chosen ("5 was the number that separated them
    best"); ``stabilities`` are the segments' bootstrap stabilities.
    """
    if weak:
        groups = "loose groups, cuts of a continuum rather than natural types"
    elif clear:
        groups = "clear groups"
    else:
        groups = "fairly clear groups"
    parts = [groups, how]
    known = [s for s in stabilities if s is not None]
    if known:
        untrusted = sum(s < UNTRUSTED for s in known)
        rough = sum(UNTRUSTED <= s < STABLE for s in known)
        if untrusted:
            parts.append(
                f"{_count(untrusted, 'segment')} did not hold up when I re-checked on resampled "
                "customers"
            )
        elif rough:
            parts.append(f"{_count(rough, 'segment')} held up only roughly when re-checked")
        else:
            every = "the segment" if len(known) == 1 else f"all {len(known)} segments"
            parts.append(f"{every} held up when I re-checked on resampled customers")
    return "How sure: " + "; ".join(parts) + "."


def _caution(seg: Segment) -> str:
    # The value at stake still decides, but nobody should act on a segment blindly that the
    # data does not reproduce.
    if seg.stability is not None and seg.stability < UNTRUSTED:
        return " Check who is in it before a campaign: it did not hold up when I re-checked."
    return ""


def duration_words(days: float) -> str:
    """'about 6 months' for 182 days; weeks under two months, years from two years."""
    if days < 14:
        whole = round(days)
        return f"{whole} day" + ("" if whole == 1 else "s")
    if days < 60:
        return f"about {round(days / 7)} weeks"
    if days < 730:
        months = round(days / 30.44)
        return f"about {months} months"
    return f"about {round(days / 365.25)} years"


def _split_header(column: str) -> tuple[str, str]:
    """('Annual Income', 'k$') from 'Annual Income (k$)'; the unit is '' without brackets."""
    text = str(column)
    match = re.search(r"\(([^)]*)\)\s*$", text)
    unit = match.group(1).strip() if match else ""
    base = text[: match.start()] if match else text
    return re.sub(r"\s+", " ", base.replace("_", " ")).strip() or text, unit


def _is_plural(words: str) -> bool:
    last = words.split()[-1] if words.split() else ""
    return len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is"))


def _article(words: str) -> str:
    return "an" if words[:1].lower() in "aeiou" else "a"


def _value_words(value: float, unit: str, currency: str | None) -> str:
    scale = _SCALE.match(unit)
    if scale:
        return f"{round(value):,} out of {scale.group(2)}"
    symbol = _money_symbol(unit, currency)
    if symbol:
        return format_money(value, symbol)
    if unit == "%":
        return f"{_number(value)}%"
    return f"{_number(value)} {unit}".strip()


def _money_symbol(unit: str, currency: str | None) -> str | None:
    """The currency of a column: from its header's brackets ("($)"), else from its values."""
    symbol = CURRENCY_SYMBOLS.get(unit) or _CODES.get(unit.lower())
    if symbol:
        return symbol
    return currency if currency and not unit else None


def _number(value: float) -> str:
    # Three significant figures at most: an average of 30.03 visits reads "30", not "30.0".
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _and(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _customers(n: int) -> str:
    return f"{n:,} customer" + ("" if n == 1 else "s")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _percent(share: float) -> str:
    if 0 < share < 0.005:
        return "<1%"
    return f"{share * 100:.0f}%"
