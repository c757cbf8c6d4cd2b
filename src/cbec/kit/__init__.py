"""Domain-free helpers: money, time, ids, hardened XML, code lists. Pure: no database, no web."""
