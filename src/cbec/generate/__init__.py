"""A deterministic, realistic load of partner files (``cbec generate``): see docs/generate.md.

Two streams of cases, each drawn from its own ``random.Random`` seeded with the run's seed, so
the same options always give the same documents, byte for byte: ``exports`` (orders shaped like
the UCI Online Retail data, ``profile.py``) and ``imports`` (buyers, their orders, payments and
waybills); ``basics`` holds the parties, options, clock and exact text of amounts and
identifiers; ``encoder`` writes the cases as partner files, and ``service`` the files themselves.

Money is counted in integer fen (pennies for GBP), which is exact, and written as decimal text
with two places; the one rounding (the withheld tax estimate) is half up, on integers. Speed
shapes the code: an export order has 26 lines on average, as in the data set, and the generator
aims at 50,000 orders a second on one core, so documents are written straight to JSON text from
fragments escaped once per product, party and buyer; an order's lines are drawn in one
``Random.choices`` call from a table of (product, quantity) pairs; and small integers are drawn
as ``int(random() * n)`` rather than through ``randrange``.
"""
