"""``python -m bot``: start the Slack bot (Socket Mode with SLACK_APP_TOKEN, else HTTP)."""

import sys

from bot.app import main

sys.exit(main())
