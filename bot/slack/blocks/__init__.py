"""Block Kit builders: the answer and every sentence (replies), the buttons and the modal (buttons).
May import bot.slack.text, and the core only inside a function a worker calls; pure, no Slack calls.
"""
