"""The history tables (SQLAlchemy 2 declarative models). Alembic's migrations create them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "Run", "RunSegment", "Member", "Schedule"]


class Base(DeclarativeBase):
    pass


class Run(Base):
    """One answered segmentation: where, which file, how, and the model comparing needs.

    ``model`` is the run's comparison snapshot without its customers
    (:meth:`segmentation.model.compare.RunSnapshot.to_dict`). Summaries stay until a channel is
    forgotten; only the per-customer rows expire.
    """

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    source: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    features: Mapped[list[str]] = mapped_column(JSON)
    k: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    model: Mapped[dict[str, Any]] = mapped_column(JSON)
    keyed: Mapped[bool] = mapped_column(default=False)


class RunSegment(Base):
    """One segment of a run: name, size, share, centre (comparison units), stability."""

    __tablename__ = "run_segments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    share: Mapped[float] = mapped_column(Float)
    centroid: Mapped[dict[str, float]] = mapped_column(JSON)
    stability: Mapped[float | None] = mapped_column(Float, nullable=True)


class Member(Base):
    """One customer's segment in one run, keyed by an HMAC-SHA256 of the customer key."""

    __tablename__ = "members"
    __table_args__ = (Index("ix_members_run_customer", "run_id", "customer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    customer: Mapped[str] = mapped_column(String(64))
    segment: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Schedule(Base):
    """A named source segmented in a channel on a rule (``bot.words.schedule.Rule.dump``).

    ``number`` is what people type (``/segment unschedule 2``), unique within the channel;
    ``next_due`` is in UTC; ``creator`` is an HMAC of the Slack user id, like customer keys.
    """

    __tablename__ = "schedules"
    __table_args__ = (UniqueConstraint("channel", "number", name="uq_schedules_channel_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(32))
    tz: Mapped[str] = mapped_column(String(64))
    alert: Mapped[float] = mapped_column(Float)
    quiet: Mapped[bool] = mapped_column(default=False)
    next_due: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    paused: Mapped[bool] = mapped_column(default=False)
    creator: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
