"""Every Redis key churnwatch writes, named in one place, under one namespace.

Keys carry the customer id in a hash tag (``ns:c:{id}``), so one customer's keys stay in
one slot when the store moves to Redis Cluster.
"""

from __future__ import annotations


class StateKeys:
    """Names of every Redis key churnwatch writes, under one namespace."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.stats = f"{namespace}:stats"
        self.watermark = f"{namespace}:watermark"
        self.partition_watermarks = f"{namespace}:partition-watermarks"
        self.offsets = f"{namespace}:offsets"
        self.progress = f"{namespace}:progress"
        self.models = f"{namespace}:models"

    @property
    def console_marks(self) -> str:
        """Hash of the retention team's marks on alerts: alert id -> JSON."""
        return f"{self.namespace}:console:marks"

    @property
    def console_marks_version(self) -> str:
        """Bumped with every mark, so each console knows when to read the marks again."""
        return f"{self.namespace}:console:marks-version"

    def alert_candidates(self, day: int) -> str:
        """Hash of one event-time day's alert candidates (with a daily capacity): id -> JSON."""
        return f"{self.namespace}:alerts:day:{day}"

    @property
    def deferred_alerts(self) -> str:
        """Hash of candidates deferred past their day by the capacity: id -> JSON."""
        return f"{self.namespace}:alerts:deferred"

    @property
    def sealed_day(self) -> str:
        """The last event-time day whose alerts were selected."""
        return f"{self.namespace}:alerts:sealed"

    def seal_lock(self, day: int) -> str:
        return f"{self.namespace}:alerts:seal-lock:{day}"

    def model(self, period: int) -> str:
        return f"{self.namespace}:model:{period}"

    def label_bucket(self, period: int) -> str:
        return f"{self.namespace}:labels:{period}"

    def label_bucket_pattern(self) -> str:
        return f"{self.namespace}:labels:*"

    def pulse(self, period: int) -> str:
        """The purchases' gap ratios of one model period (:mod:`models.pulse`)."""
        return f"{self.namespace}:pulse:{period}"

    def train_lock(self, period: int) -> str:
        return f"{self.namespace}:train-lock:{period}"

    def customer(self, customer_id: str) -> str:
        return f"{self.namespace}:c:{{{customer_id}}}"

    def due(self, partition: int) -> str:
        """Sorted set of customers of one input partition, scored by next check time."""
        return f"{self.namespace}:due:{partition}"

    def customer_pattern(self) -> str:
        return f"{self.namespace}:c:*"

    def customer_id_of(self, key: bytes) -> str:
        # ns:c:{id} -> id
        return key.decode()[len(self.namespace) + 4 : -1]
