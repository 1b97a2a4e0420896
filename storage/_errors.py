"""The errors of a payload store that cannot keep or give back a payload."""


class PayloadStoreError(Exception):
    """The payload store cannot keep or give back a payload (unreachable, refusing, or the
    payload is missing or corrupted)."""


class PayloadReferenceError(PayloadStoreError):
    """A reference names no payload the store can give back, and never will: its key is
    malformed, the store lacks it, or the content under it does not match it."""
