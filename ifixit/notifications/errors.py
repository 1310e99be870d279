class DeliveryError(Exception):
    """A message could not be handed to its provider. Transient errors are retried."""

    def __init__(self, reason: str, *, transient: bool):
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
