"""What a refused Web API call says: its error code and the scope it needed."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

__all__ = ["api_error", "needed_scope"]


def api_error(error: SlackApiError) -> str:
    """Slack's error code (``not_in_channel``, ``missing_scope``...), or the HTTP status."""
    response = error.response
    code = response.get("error") if response is not None else None
    return str(code or f"HTTP {getattr(response, 'status_code', '?')}")


def needed_scope(error: SlackApiError) -> str | None:
    """The scope a ``missing_scope`` refusal names, if any."""
    needed = error.response.get("needed") if error.response is not None else None
    return str(needed) if needed else None
