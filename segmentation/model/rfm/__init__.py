"""RFM segments for order logs: measures per customer, choosing k, names marketers know, segments.
May import errors, result, read.orders, model (clustering, stability), explain (levels, words)."""
