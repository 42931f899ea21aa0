"""Which columns to cluster, which to profile, and which never to show.

Marketers segment on behaviour and value (income, spend, orders, visits, ...) and describe the
segments by demographics (age, gender, city), codes and flags (channel, region, a campaign
response) as shares; which columns and kinds is :mod:`segmentation.roles` and
:mod:`segmentation.design`. Identifiers, constants and personal data (names,
e-mails, phone numbers, addresses) are never clustered; personal data is never shown anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import pandas as pd

from segmentation.errors import NoUsableColumns, UnknownColumn

if TYPE_CHECKING:
    from segmentation.model.design import Derived
    from segmentation.model.roles import RoleKind

__all__ = [
    "ColumnPlan",
    "PersonalKind",
    "plan_columns",
    "is_personal_header",
    "personal_columns",
    "personal_kind",
    "tokens",
]

# What kind of personal data a column holds; "other" covers ids, cards, birthdays, logins, ...
PersonalKind = Literal["email", "phone", "name", "address", "other"]

_BEHAVIOUR = {
    "income", "salary", "wage", "wages", "earnings", "wealth", "spend", "spending", "spent",
    "score", "monetary", "frequency", "recency", "orders", "order", "visits", "visit",
    "purchases", "purchase", "revenue", "amount", "value", "basket", "transactions",
    "transaction", "sessions", "clicks", "tenure", "loyalty", "points", "balance", "ltv", "clv",
    "sales", "total", "count", "avg", "average", "aov", "profit", "margin", "quantity", "qty",
    "items", "units", "days", "since", "last", "lifetime", "budget", "expenditure", "payments",
    "credit", "limit", "usage", "minutes", "calls", "logins", "views", "frequent", "bought",
}  # fmt: skip
_DEMOGRAPHIC = {
    "age", "gender", "genre", "sex", "city", "country", "region", "state", "province", "town",
    "marital", "married", "education", "occupation", "profession", "job", "children", "kids",
    "family", "household", "dependents", "nationality", "language", "ethnicity", "religion",
    "segment", "channel", "source", "generation", "birth", "born", "location", "area", "store",
}  # fmt: skip
_PERSONAL = {
    "name", "names", "firstname", "lastname", "surname", "fullname", "forename", "givenname",
    "email", "mail", "emailaddress", "phone", "telephone", "tel", "mobile", "cell", "fax",
    "address", "street", "addr", "zip", "zipcode", "postcode", "postal", "postalcode", "ssn",
    "passport", "iban", "card", "cardnumber", "ip", "dob", "birthday", "birthdate", "contact",
    "whatsapp", "twitter", "instagram", "linkedin", "username", "login", "password",
}  # fmt: skip
# Header words that say which kind of personal data a column holds, checked in this order.
_KIND_WORDS: tuple[tuple[PersonalKind, frozenset[str]], ...] = (
    ("email", frozenset({"email", "mail", "emailaddress"})),
    ("phone", frozenset({"phone", "telephone", "tel", "mobile", "cell", "fax", "whatsapp"})),
    (
        "address",
        frozenset(
            {"address", "street", "addr", "zip", "zipcode", "postcode", "postal", "postalcode"}
        ),
    ),
    (
        "name",
        frozenset(
            {
                "name",
                "names",
                "firstname",
                "lastname",
                "surname",
                "fullname",
                "forename",
                "givenname",
            }
        ),
    ),
)
# "User name" and "Login name" are accounts, not what a person is called.
_NOT_A_PERSON_NAME = {"user", "username", "login", "screen", "account", "display"}
_IDENTIFIER = {"id", "ids", "uuid", "guid", "key", "code", "number", "no", "nr", "num", "ref"}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[\d\s().\-]{7,}$")
# A calendar date (2013-05-04, 04-09-2012, 4/9/2012, 2013.05.04), optionally with a time: it has
# a phone number's digits and dashes but is a signup or order date, never a person's number.
_DATE_VALUE = re.compile(
    r"^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](\d{4}|\d{2}))([ T][\d:.]+)?$"
)
# Accented Latin letters too: "María García", "Zoë Brontë", "Jürgen Weiß".
_PERSON_NAME = re.compile(r"^[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'\-]+(?: [A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'\-]+)+$")


@dataclass(frozen=True)
class ColumnPlan:
    """What to do with each column of a table.

    ``features``: clustered (table order when all are used; spend, frequency, recency,
    capacity when a few are chosen among many); a feature may be a ``derived`` column (a
    total, a share of spend) computed with :func:`segmentation.design.add_derived`.
    ``profile``: shown per segment (demographics, codes, flags and other safe columns; an age
    in place of a birth year, a tenure in place of a date). ``personal``: never clustered,
    never shown in texts (the exported files keep them). ``excluded``: every file column not
    clustered, with the reason in a few words. ``categories``: codes and flags, profiled as
    shares. ``log_scale``: features clustered on a log scale. ``reason``: one sentence on
    which columns shape the segments and why.
    """

    features: tuple[str, ...]
    profile: tuple[str, ...]
    personal: tuple[str, ...]
    excluded: dict[str, str] = field(default_factory=dict)
    derived: tuple[Derived, ...] = ()
    categories: tuple[str, ...] = ()
    log_scale: tuple[str, ...] = ()
    reason: str = ""


def tokens(header: str) -> list[str]:
    """Lower-case word tokens of a header; ``CustomerID`` -> ["customer", "id"]."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(header))
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def is_personal_header(header: str) -> bool:
    """True when the header names personal data (e-mail, phone, name, address, ...)."""
    toks = tokens(header)
    joined = "".join(toks)
    if joined in _PERSONAL or any(t in _PERSONAL for t in toks):
        # "Spending Score" has no personal token; "Store name" is a category, not a person.
        return not (toks and toks[0] in {"store", "product", "brand", "category", "company"})
    return False


def plan_columns(df: pd.DataFrame, requested: tuple[str, ...] | None = None) -> ColumnPlan:
    """Decide which columns of ``df`` to cluster and which to profile.

    Parameters
    ----------
    df : DataFrame of shape (n_rows, n_columns)
        As returned by the loader: numbers already numeric.
    requested : tuple of str, optional
        Column names asked for by the user, matched to headers case-insensitively.

    Raises
    ------
    UnknownColumn
        A requested name is not a header; the sentence lists the headers.
    NoUsableColumns
        Nothing can be clustered.
    """
    # Imported here: roles and design read dates with the order-log reader, whose package
    # imports this module for its personal-data checks.
    from segmentation.model.design import Choice, choose_measures, derive_profiles
    from segmentation.model.roles import MEASURE_KINDS, REASONS, column_kind

    personal = personal_columns(df)
    excluded: dict[str, str] = {c: "personal data" for c in personal}
    kinds: dict[str, RoleKind] = {}
    for col in df.columns:
        if col in personal:
            continue
        series = df[col]
        toks = set(tokens(col))
        if series.nunique(dropna=True) <= 1:
            excluded[col] = "the same value in every row"
        elif _is_identifier(series, col, known=bool(toks & (_BEHAVIOUR | _DEMOGRAPHIC))):
            excluded[col] = "an identifier"
        else:
            kinds[col] = column_kind(series, toks)
    if requested:
        features = _match_requested(df, requested, personal, excluded)
        choice = Choice(
            tuple(features),
            (),
            (),
            "Segments use the columns you asked for: " + ", ".join(features) + ".",
            {
                c: REASONS["not_asked"] if k in MEASURE_KINDS else REASONS[k]
                for c, k in kinds.items()
                if c not in features and (k in MEASURE_KINDS or k in REASONS)
            },
        )
    else:
        choice = choose_measures(df, kinds)
    if not choice.features:
        raise NoUsableColumns(_nothing_to_measure(df, personal, excluded, kinds))
    excluded.update(choice.excluded)
    ages_and_tenures = derive_profiles(df, kinds)
    profiles = {d.sources[0]: d.name for d in ages_and_tenures}
    profile: list[str] = []
    for col, kind in kinds.items():
        if col in choice.features or kind == "text":
            continue
        if kind in ("date", "birth_year"):
            profile += [profiles[col]] if col in profiles else []
        else:
            profile.append(col)
    return ColumnPlan(
        features=choice.features,
        profile=tuple(profile),
        personal=personal,
        excluded=excluded,
        derived=choice.derived + ages_and_tenures,
        categories=tuple(c for c, k in kinds.items() if k in ("code", "flag")),
        log_scale=choice.log_scale,
        reason=choice.reason,
    )


def _nothing_to_measure(
    df: pd.DataFrame,
    personal: tuple[str, ...],
    excluded: dict[str, str],
    kinds: dict[str, RoleKind],
) -> str:
    """One sentence naming what the table holds and what segments would need."""
    from segmentation.model.roles import REASONS

    held = [
        f"{c} ({excluded[c] if c in excluded else REASONS.get(k, k)})" for c, k in kinds.items()
    ]
    held += [f"{c} ({why})" for c, why in excluded.items() if c not in personal and c not in kinds]
    if not held:
        return (
            "I couldn't find numeric columns to compare customers on. Share a file with at "
            "least one column of numbers such as income, spend or orders."
        )
    shown = "; ".join(str(h) for h in held[:12]) + ("; ..." if len(held) > 12 else "")
    return (
        f"I couldn't find a measure to compare customers on: the file holds {shown}. "
        "Add a column of numbers such as spend, orders or income, or name code columns "
        "with columns= to segment on them."
    )


def _match_requested(
    df: pd.DataFrame,
    requested: tuple[str, ...],
    personal: tuple[str, ...],
    excluded: dict[str, str],
) -> list[str]:
    by_lower = {str(c).strip().lower(): c for c in df.columns}
    chosen: list[str] = []
    for name in requested:
        col = by_lower.get(name.strip().lower())
        if col is None:
            shown = [str(c) for c in df.columns if c not in personal]
            raise UnknownColumn(
                f"There is no column called '{name}'. The columns are: {', '.join(shown)}."
            )
        if col in personal:
            raise NoUsableColumns(
                f"'{col}' holds personal data, which I never use for segments. "
                "Choose behaviour columns such as income, spend or orders."
            )
        if excluded.get(col) == "an identifier":
            raise NoUsableColumns(
                f"'{col}' is an identifier, so segments on it would mean nothing. "
                "Choose behaviour columns such as income, spend or orders."
            )
        series = df[col]
        if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            raise NoUsableColumns(
                f"'{col}' holds text, not numbers, so I can't measure distances on it. "
                "Choose columns of numbers; text columns are described per segment anyway."
            )
        if series.nunique(dropna=True) <= 1:
            raise NoUsableColumns(
                f"'{col}' has the same value for every customer, so it can't separate them."
            )
        if col not in chosen:
            chosen.append(col)
    return chosen


def personal_columns(df: pd.DataFrame) -> tuple[str, ...]:
    """The columns of ``df`` that hold personal data, by header or by content, in table order."""
    return tuple(c for c in df.columns if personal_kind(df[c], c) is not None)


def personal_kind(series: pd.Series, header: str) -> PersonalKind | None:
    """Which kind of personal data ``series`` holds (None when it holds none).

    The header decides first ("Billing Phone" is a phone, "contact" is personal) unless the
    values are a constant or a handful of repeated codes; otherwise the content: mostly e-mail
    addresses, phone numbers or "First Last" names.
    """
    if is_personal_header(header) and not _few_repeated_values(series):
        toks = tokens(header)
        words = set(toks) | {"".join(toks)}
        for kind, kind_words in _KIND_WORDS:
            if words & kind_words and not (kind == "name" and words & _NOT_A_PERSON_NAME):
                return kind
        return _content_kind(series) or "other"
    return _content_kind(series)


def _few_repeated_values(series: pd.Series) -> bool:
    """A constant, a flag or a code ("Z_CostContact" = 3 everywhere, a contact type of
    "cellular" or "telephone"): what the values are says it is no person's details."""
    head = series.dropna().head(5_000)
    distinct = head.nunique()
    return distinct <= 10 and len(head) >= 5 * max(distinct, 1)


def _content_kind(series: pd.Series) -> PersonalKind | None:
    if pd.api.types.is_numeric_dtype(series):
        return None
    sample = series.dropna().head(2_000).astype(str).str.strip()
    sample = sample[sample != ""].head(500)
    if sample.empty:
        return None
    if sample.str.match(_EMAIL).mean() > 0.5:
        return "email"
    phone_like = (
        sample.str.match(_PHONE) & (sample.str.count(r"\d") >= 7) & ~sample.str.match(_DATE_VALUE)
    )
    if phone_like.mean() > 0.8 and sample.str.contains(r"[\s()+\-.]").mean() > 0.5:
        return "phone"
    if sample.str.match(_PERSON_NAME).mean() > 0.8 and sample.nunique() > 0.8 * len(sample):
        return "name"
    return None


def _is_identifier(series: pd.Series, header: str, *, known: bool) -> bool:
    toks = tokens(header)
    if toks and (toks[-1] in _IDENTIFIER or toks[0] in {"id", "uuid", "guid"}):
        return True
    if known:
        # A header that names a measure ("Annual Income") is trusted over a value pattern.
        return False
    values = series.dropna()
    if len(values) < 10 or values.nunique() != len(values):
        return False
    if pd.api.types.is_integer_dtype(values) or (
        pd.api.types.is_float_dtype(values) and (values % 1 == 0).all()
    ):
        # Unique whole numbers that step by one (1, 2, 3, ...) are row numbers, not measures.
        ordered = values.sort_values().to_numpy()
        steps = ordered[1:] - ordered[:-1]
        return bool((steps == 1).mean() > 0.9)
    return not pd.api.types.is_numeric_dtype(values)
