"""``python -m bot``: start the Slack bot (Socket Mode with SLACK_APP_TOKEN, else HTTP)."""

import sys

from bot.app import main

if __name__ == "__main__":  # not when multiprocessing imports the main module
    sys.exit(main())
