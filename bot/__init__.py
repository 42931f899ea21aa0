"""segbot's Slack edge: turns Slack requests into calls to :mod:`segmentation` and back.
May import the core (workers only) and its own rooms: slack, queue, jobs, store, words.

The path of a request: ``slack/listeners`` parse it (``words``), ``intake`` records and queues
it (``queue``), a worker (``worker``) runs it (``jobs``), remembers the run (``store``) and
answers through ``slack``. Nothing here computes statistics; the core does. Start it with
``python -m bot``.
"""
