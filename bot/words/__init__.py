"""What people type: the /segment grammar (grammar) and the parser of requests in words (asking).
May import segmentation.errors (a bad option's sentence) and rapidfuzz; pure: no Slack, no I/O.
"""
