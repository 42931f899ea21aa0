"""Wiring only: which Bolt listener handles which Slack request (each module registers its own).
May import bot.intake, runtime, queue, words and bot.slack; never bot.jobs, never the core.
"""

from slack_bolt import App

from bot.slack.listeners import (
    actions,
    commands,
    errors,
    events,
    history,
    mentions,
    schedules,
    views,
)

__all__ = ["register_listeners"]


def register_listeners(app: App) -> None:
    """Attach every segbot listener and the global error handler to ``app``."""
    commands.register(app)
    # Before events: its catch-all ``message`` listener would take direct messages.
    mentions.register(app)
    events.register(app)
    actions.register(app)
    views.register(app)
    history.register(app)
    schedules.register(app)
    errors.register(app)
