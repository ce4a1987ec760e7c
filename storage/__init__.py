"""SQLite storage: schema migrations, offers, versions and the crawl-run ledger."""

from storage.db import open_db

__all__ = ["open_db"]
