"""Stores for Temporal payloads too large for workflow history (`ExternalStorage` drivers)."""

from storage._postgres import PostgresStorageDriver

__all__ = ["PostgresStorageDriver"]
