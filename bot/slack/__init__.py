"""The Slack edge: listeners (wiring), Block Kit builders, file download and upload, mrkdwn.
May import bot.config, runtime, intake, queue, words and segmentation.errors; never bot.jobs.

The listener process runs this package and must ack Slack within 3 s, so nothing here loads
pandas, scikit-learn or matplotlib (a worker passes results in; the one import of the core in
:func:`~bot.slack.blocks.replies.render_answer` runs in the worker).
"""
