"""segbot's Slack edge: turns Slack requests into calls to :mod:`segmentation` and back.

Nothing here computes statistics; the core does. Start it with ``python -m bot``.
"""
