"""Data sources by name: what an admin set up in ``SEGBOT_SOURCES``, and who may use which.

People only ever pick a name; the URL (with its credentials) stays in the settings of the
processes that read it and is never queued, posted or logged. Light: the listener imports this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.words.grammar import SegmentCommand
from segmentation.errors import SegmentationError

__all__ = ["Source", "UnknownSource", "SOURCE_PREFIX", "find_source", "source_job", "usable_here"]

# A follow-up state's ``source`` for an answer about a named source (a Slack file id otherwise).
SOURCE_PREFIX = "source:"


class Settings(Protocol):
    """What the look-ups need of :class:`bot.config.Settings` (which imports this module)."""

    @property
    def sources(self) -> Mapping[str, Source]: ...


class UnknownSource(SegmentationError):
    """No source of that name may be used in this channel; the sentence lists those that may."""

    kind = "unknown_source"


@dataclass(frozen=True)
class Source:
    """One named source: a file or database ``url``, and for a database a ``table`` or a
    ``query``; ``channels`` (Slack channel ids) limits where it may be used (empty: anywhere)."""

    name: str
    url: str
    table: str | None = None
    query: str | None = None
    channels: tuple[str, ...] = ()

    def allowed_in(self, channel: str) -> bool:
        """True when people in ``channel`` may segment this source."""
        return not self.channels or channel in self.channels

    @property
    def ref(self) -> str:
        """How answers and buttons refer to this source (never its URL)."""
        return f"{SOURCE_PREFIX}{self.name}"

    def __repr__(self) -> str:
        # The URL may carry a password; reprs end up in logs and test reports.
        return f"Source(name={self.name!r}, channels={self.channels!r})"


def usable_here(settings: Settings, channel: str) -> list[Source]:
    """The sources people in ``channel`` may use, by name."""
    return sorted(
        (s for s in settings.sources.values() if s.allowed_in(channel)), key=lambda s: s.name
    )


def find_source(settings: Settings, name: str, channel: str) -> Source:
    """The source called ``name`` (any case) if ``channel`` may use it.

    Raises :class:`UnknownSource` with a sentence listing the names this channel may use; a
    source kept for other channels is not mentioned (its name is theirs).
    """
    wanted = name.strip().lower().removeprefix(SOURCE_PREFIX)
    found = settings.sources.get(wanted)
    if found is not None and found.allowed_in(channel):
        return found
    names = [s.name for s in usable_here(settings, channel)]
    shown = name if len(name) <= 40 else name[:39] + "…"
    if not names:
        raise UnknownSource(
            f"I don't know a source called “{shown}”, and no sources are set up for this "
            "channel; whoever runs segbot can add them to SEGBOT_SOURCES."
        )
    raise UnknownSource(
        f"I don't know a source called “{shown}” here; the sources you can use in this "
        f"channel are {_listed(names)}."
    )


def source_job(
    name: str,
    channel: str,
    options: SegmentCommand,
    *,
    user: str | None = None,
    response_url: str | None = None,
    thread_ts: str | None = None,
    broadcast: bool = False,
) -> dict[str, Any]:
    """The queued job that segments one source with the ``options`` asked for: its NAME only,
    never its URL (the worker looks the source up in its own settings, so credentials never
    reach the queue)."""
    return {
        "kind": "source",
        "source": name,
        "channel": channel,
        "k": options.k,
        "columns": list(options.columns) if options.columns else None,
        "mode": options.mode,
        "as_of": options.as_of,
        "horizon_days": options.horizon_days,
        "user": user,
        "response_url": response_url,
        "thread_ts": thread_ts,
        "broadcast": broadcast,
    }


def _listed(names: list[str]) -> str:
    quoted = [f"“{n}”" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
