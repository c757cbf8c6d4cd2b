"""Backup and restore of a whole platform: the database (SQLite's online backup, or pg_dump) and
the data directory's files it refers to, in one archive with a verified manifest
(docs/operations.md)."""
