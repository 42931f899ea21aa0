"""``users.info`` for the fake Slack (kept beside tests/bot/slack_server.py, which is long).

Answers as Slack does: the user object with ``tz``, ``tz_label`` and ``tz_offset``;
``missing_scope`` (with ``needed`` and ``provided``) when the app lacks users:read;
``user_not_found`` for an id Slack doesn't know.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["SlackUsers", "DEFAULT_ZONES"]

# The people of the tests and where they are.
DEFAULT_ZONES = {"U0ALICE": "Europe/Paris", "U0BOB": "America/New_York"}
_SCOPES = "commands,chat:write,files:read,files:write,app_mentions:read,channels:history"


class SlackUsers:
    """Mixed into :class:`tests.bot.slack_server.FakeSlack`, which holds ``user_zones`` (user id
    -> IANA zone) and ``users_scope`` (False: the app was installed without users:read)."""

    user_zones: dict[str, str]
    users_scope: bool

    def _api_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        if not self.users_scope:
            return {
                "ok": False,
                "error": "missing_scope",
                "needed": "users:read",
                "provided": _SCOPES,
            }
        user = str(params.get("user") or "")
        tz = self.user_zones.get(user)
        if tz is None:
            return {"ok": False, "error": "user_not_found"}
        now = datetime.now(UTC).astimezone(ZoneInfo(tz))
        offset = now.utcoffset()
        return {
            "ok": True,
            "user": {
                "id": user,
                "team_id": "T0TEAM",
                "name": user.lower(),
                "deleted": False,
                "real_name": user,
                "tz": tz,
                "tz_label": now.tzname(),
                "tz_offset": int(offset.total_seconds()) if offset else 0,
                "is_bot": False,
                "updated": 1_700_000_000,
            },
        }
