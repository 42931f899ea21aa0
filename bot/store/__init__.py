"""Run history: every answered run remembered per channel, and each customer's segment under a
pseudonym, so the next run can say what changed (SQLAlchemy 2; Alembic migrations beside it).

SQLite in ``SEGBOT_DATA_DIR`` by default, PostgreSQL when ``DATABASE_URL`` is set. Customer keys
are stored only as HMAC-SHA256 with ``SEGBOT_SECRET`` (or the key kept in the data folder with
SQLite), never as written. Only stdlib and SQLAlchemy here: no pandas, so any process may use it.
A channel only ever reads its own history.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, delete, event, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.store.models import Member, Run, RunSegment

if TYPE_CHECKING:
    from bot.config import Settings

__all__ = [
    "History",
    "RunSummary",
    "StoredRun",
    "StoreUnavailable",
    "HISTORY_FILE",
    "normalise_url",
    "history_url",
    "migrate_at_start",
]

logger = logging.getLogger(__name__)

HISTORY_FILE = "history.sqlite3"
_MIGRATIONS = Path(__file__).with_name("migrations")


class StoreUnavailable(Exception):
    """The history database could not be reached or refused the query."""


@dataclass(frozen=True)
class RunSummary:
    """One line of ``/segment history``."""

    id: int
    created_at: datetime
    source: str
    mode: str
    k: int
    rows: int
    sizes: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class StoredRun:
    """A run as comparing needs it: its snapshot (``model``) and its customers (pseudonyms)."""

    id: int
    created_at: datetime
    model: dict[str, Any]
    members: dict[str, int] | None


def normalise_url(url: str) -> str:
    """Heroku's ``postgres://`` and plain ``postgresql://`` mean psycopg 3 here."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def history_url(settings: Settings) -> str:
    """``DATABASE_URL`` (normalised), else the SQLite file in the data folder."""
    if settings.database_url:
        return normalise_url(settings.database_url)
    return f"sqlite:///{Path(settings.data_dir) / HISTORY_FILE}"


class History:
    """The history database of one process (thread-safe; one engine, short sessions).

    Parameters
    ----------
    url : str
        A SQLAlchemy URL (``sqlite:///...`` or ``postgresql+psycopg://...``).
    secret : bytes
        The HMAC key for customer pseudonyms; never stored in the database.
    history_days : int
        Per-customer rows older than this are deleted by :meth:`expire`; run summaries stay.
    """

    def __init__(self, url: str, secret: bytes, *, history_days: int = 180) -> None:
        if not secret:
            raise ValueError("the pseudonym secret must not be empty")
        self.url = url
        self.history_days = history_days
        self._secret = secret
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> History:
        """The history the settings name, with their secret and retention."""
        from segmentation.output.keystore import pseudonym_key

        if settings.database_url is None:
            Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
        secret = pseudonym_key(settings.secret, settings.data_dir)
        return cls(history_url(settings), secret, history_days=settings.history_days)

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = _engine(self.url)
            return self._engine

    def close(self) -> None:
        """Close the engine's connections (a forked worker builds its own)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    def pseudonym(self, customer: str) -> str:
        """HMAC-SHA256 of a customer key, as hex: the only form a customer is stored in."""
        return hmac.new(self._secret, customer.encode("utf-8"), hashlib.sha256).hexdigest()

    def migrate(self) -> None:
        """Bring the tables to the newest revision (Alembic); safe to run at every start."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except (SQLAlchemyError, OSError) as error:
            raise StoreUnavailable(_reason(error)) from error

    def record(
        self,
        channel: str,
        model: dict[str, Any],
        members: dict[str, int] | None,
        *,
        sha256: str,
        options: dict[str, Any],
        segments: list[dict[str, Any]],
        now: datetime | None = None,
    ) -> int:
        """Remember one answered run; ``members`` maps pseudonyms (:meth:`pseudonym`) to
        segment ids. Returns the run's id."""
        now = now or datetime.now(UTC)
        with self._session() as session:
            run = Run(
                channel=channel,
                created_at=now,
                source=str(model["source"])[:255],
                sha256=sha256,
                mode=str(model["mode"]),
                features=list(model["features"]),
                k=int(model["k"]),
                rows=int(model["rows"]),
                options=options,
                model=model,
                keyed=members is not None,
            )
            session.add(run)
            session.flush()
            session.add_all(
                RunSegment(
                    run_id=run.id,
                    position=i,
                    name=str(s["name"])[:120],
                    size=int(s["size"]),
                    share=float(s["share"]),
                    centroid=dict(s["centroid"]),
                    stability=s.get("stability"),
                )
                for i, s in enumerate(segments)
            )
            if members:
                session.execute(
                    insert(Member),
                    [
                        {"run_id": run.id, "customer": c, "segment": seg, "created_at": now}
                        for c, seg in members.items()
                    ],
                )
            run_id = run.id
        return run_id

    def previous(
        self, channel: str, mode: str, features: list[str], *, source: str | None = None
    ) -> StoredRun | None:
        """The channel's latest run on the same kind of data and the same measures (and, with
        ``source``, of that named source only)."""
        where = [Run.channel == channel, Run.mode == mode]
        if source is not None:
            where.append(Run.source == source[:255])
        with self._session() as session:
            candidates = session.scalars(
                select(Run).where(*where).order_by(Run.created_at.desc(), Run.id.desc()).limit(50)
            ).all()
            for run in candidates:
                if set(run.features) == set(features):
                    return self._stored(session, run)
        return None

    def last_two(self, channel: str) -> list[StoredRun]:
        """The channel's two latest runs, newest first (fewer when it has fewer)."""
        with self._session() as session:
            runs = session.scalars(
                select(Run)
                .where(Run.channel == channel)
                .order_by(Run.created_at.desc(), Run.id.desc())
                .limit(2)
            ).all()
            return [self._stored(session, run) for run in runs]

    def runs(self, channel: str, limit: int = 10) -> list[RunSummary]:
        """The channel's latest runs, newest first, with their segment sizes."""
        with self._session() as session:
            runs = session.scalars(
                select(Run)
                .where(Run.channel == channel)
                .order_by(Run.created_at.desc(), Run.id.desc())
                .limit(limit)
            ).all()
            out = []
            for run in runs:
                sizes = session.execute(
                    select(RunSegment.name, RunSegment.size)
                    .where(RunSegment.run_id == run.id)
                    .order_by(RunSegment.position)
                ).all()
                out.append(
                    RunSummary(
                        id=run.id,
                        created_at=_aware(run.created_at),
                        source=run.source,
                        mode=run.mode,
                        k=run.k,
                        rows=run.rows,
                        sizes=tuple((str(n), int(s)) for n, s in sizes),
                    )
                )
            return out

    def forget(self, channel: str) -> tuple[int, int]:
        """Delete everything remembered for ``channel``: (runs, customer rows) deleted."""
        with self._session() as session:
            ids = select(Run.id).where(Run.channel == channel).scalar_subquery()
            customers = session.execute(delete(Member).where(Member.run_id.in_(ids))).rowcount
            session.execute(delete(RunSegment).where(RunSegment.run_id.in_(ids)))
            runs = session.execute(delete(Run).where(Run.channel == channel)).rowcount
        return int(runs or 0), int(customers or 0)

    def expire(self, now: datetime | None = None) -> int:
        """Delete per-customer rows older than ``history_days``; how many were deleted."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.history_days)
        with self._session() as session:
            gone = session.execute(delete(Member).where(Member.created_at < cutoff)).rowcount
        return int(gone or 0)

    def count_members(self, channel: str) -> int:
        """Customer rows kept for ``channel`` (for tests and the forget confirmation)."""
        with self._session() as session:
            ids = select(Run.id).where(Run.channel == channel).scalar_subquery()
            return int(
                session.scalar(select(func.count(Member.id)).where(Member.run_id.in_(ids))) or 0
            )

    def _stored(self, session: Session, run: Run) -> StoredRun:
        members: dict[str, int] | None = None
        if run.keyed:
            rows = session.execute(
                select(Member.customer, Member.segment).where(Member.run_id == run.id)
            ).all()
            # Expired customer rows leave a run comparable by sizes only.
            members = {str(c): int(s) for c, s in rows} or None
        model = dict(run.model)
        model["when"] = _aware(run.created_at).date().isoformat()
        return StoredRun(run.id, _aware(run.created_at), model, members)

    def transaction(self) -> _Transaction:
        """A session in one transaction (used as a context manager); a database failure
        becomes :class:`StoreUnavailable`. For the other tables kept here (schedules)."""
        return _Transaction(self)

    def _session(self) -> _Transaction:
        return self.transaction()


class _Transaction:
    """A session in one transaction; any database failure becomes :class:`StoreUnavailable`."""

    def __init__(self, history: History) -> None:
        self._history = history
        self._session: Session | None = None

    def __enter__(self) -> Session:
        try:
            self._session = Session(self._history.engine, expire_on_commit=False)
            self._session.begin()
        except (SQLAlchemyError, OSError) as error:
            raise StoreUnavailable(_reason(error)) from error
        return self._session

    def __exit__(self, kind: Any, error: BaseException | None, tb: Any) -> None:
        session = self._session
        assert session is not None
        try:
            if error is None:
                session.commit()
            else:
                session.rollback()
        except (SQLAlchemyError, OSError) as failure:
            if error is None:
                raise StoreUnavailable(_reason(failure)) from failure
        finally:
            session.close()
        if isinstance(error, SQLAlchemyError | OSError):
            raise StoreUnavailable(_reason(error)) from error


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15})

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    # A short connect timeout: a database that is down must not hold an answer for long.
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _reason(error: BaseException) -> str:
    return type(getattr(error, "orig", None) or error).__name__


def migrate_at_start(settings: Settings) -> None:
    """Bring the history tables up to date when the workers start; a database that is down
    is only logged (each answer then says it was not remembered, and the bot stays up)."""
    try:
        history = History.from_settings(settings)
        history.migrate()
        history.close()
    except StoreUnavailable as error:
        logger.warning(
            "The history database can't be reached (%s); runs won't be remembered until it can",
            error,
        )
    except Exception as error:  # the key folder can't be written: same outcome, one line
        logger.warning("The run history is off: %s", error)
