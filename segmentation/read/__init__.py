"""Reading: bytes or a path in, a clean table out (table); order logs to one row per customer.
May import errors and result; model.features only to spot personal headers in an order log."""
