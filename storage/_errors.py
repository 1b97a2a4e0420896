"""The error of a payload store that cannot keep or give back a payload."""


class PayloadStoreError(Exception):
    """The payload store cannot keep or give back a payload (unreachable, refusing, or the
    payload is missing or corrupted)."""
