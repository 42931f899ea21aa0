"""Explaining: segment levels, names and descriptions (describe), the words (voice), the report.
May import errors, result, model (features, stability), read.orders.money (how money is written)."""
