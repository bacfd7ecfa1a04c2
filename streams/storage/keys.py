"""Every Redis key churnwatch writes, named in one place, under one namespace.

Keys are laid out for Redis Cluster, and the same on a single Redis. Everything one input
partition's checkpoint writes (its customers' states, its due-check schedule, counters, label
buckets, pulse, alert candidates, pending recoveries, offsets and watermarks) carries that
partition's hash tag ``{ns:p<N>}``, so it lands in one slot and saves in one transaction.
What every partition shares has its own tag: ``{ns:models}`` (snapshots, their index, the
train locks and period progress), ``{ns:alerts}`` (sealed days, deferred and published
alerts), ``{ns:console}`` (the team's marks) and ``{ns}`` (the layout record). The tag comes
first, so a ``{`` inside a customer id can never become the tag.

A customer's keys therefore depend on their input partition (the Kafka key fixes it), which
is why the layout record keeps the partition count and a worker refuses to start on another
(:mod:`streams.storage.layout`).

>>> keys = StateKeys("cw")
>>> keys.customer(3, "C{9}")
'{cw:p3}:c:C{9}'
>>> keys.customer_id_of(keys.customer(3, "C{9}").encode())
'C{9}'
>>> keys.model(12)
'{cw:models}:model:12'
"""

from __future__ import annotations

CUSTOMER = ":c:"


class StateKeys:
    """Names of every Redis key churnwatch writes, under one namespace."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.layout = f"{{{namespace}}}:layout"
        models = f"{{{namespace}:models}}"
        self.models = f"{models}:index"
        self.progress = f"{models}:progress"
        self._models = models
        alerts = f"{{{namespace}:alerts}}"
        self.deferred_alerts = f"{alerts}:deferred"  # candidates deferred past their day
        self.sealed_day = f"{alerts}:sealed"  # the last event-time day whose alerts were chosen
        # customer id -> their latest published alert no purchase has answered yet
        self.published_alerts = f"{alerts}:published"
        self._alerts = alerts
        console = f"{{{namespace}:console}}"
        self.console_marks = f"{console}:marks"  # alert id -> the team's mark, JSON
        self.console_marks_version = f"{console}:marks-version"  # bumped with every mark

    # one input partition's keys: all in the slot of its tag

    def shard(self, partition: int) -> str:
        """The hash tag of one input partition's keys."""
        return f"{{{self.namespace}:p{partition}}}"

    def customer(self, partition: int, customer_id: str) -> str:
        return f"{self.shard(partition)}{CUSTOMER}{customer_id}"

    def due(self, partition: int) -> str:
        """Sorted set of the partition's customers, scored by next check time."""
        return f"{self.shard(partition)}:due"

    def stats(self, partition: int) -> str:
        """Hash of the partition's counters, saved with the work they count."""
        return f"{self.shard(partition)}:stats"

    def offsets(self, partition: int) -> str:
        """Hash: input topic partition (``purchases:3``) -> offset up to which all is applied."""
        return f"{self.shard(partition)}:offsets"

    def watermark(self, partition: int) -> str:
        """Sorted set: ``event_time`` (checks have run through) and ``applied`` (latest event)."""
        return f"{self.shard(partition)}:watermark"

    def label_bucket(self, partition: int, period: int) -> str:
        return f"{self.shard(partition)}:labels:{period}"

    def tallies(self, partition: int, period: int) -> str:
        """Hash of the partition's counts of one model period: purchases' gap ratios
        (:mod:`models.pulse`) and the census of its ticks (:mod:`models.census`). Named
        ``pulse`` since before the census joined it."""
        return f"{self.shard(partition)}:pulse:{period}"

    def alert_candidates(self, partition: int, day: int) -> str:
        """Hash of one event-time day's alert candidates (with a daily capacity): id -> JSON."""
        return f"{self.shard(partition)}:alerts:day:{day}"

    def pending_recoveries(self, partition: int) -> str:
        """Hash of purchases waiting for their day's seal to answer an alert (with a daily
        capacity): recovery key -> JSON."""
        return f"{self.shard(partition)}:recoveries"

    def customer_pattern(self) -> str:
        return f"{{{self.namespace}:p*}}{CUSTOMER}*"

    def label_bucket_pattern(self) -> str:
        return f"{{{self.namespace}:p*}}:labels:*"

    def alert_candidates_pattern(self, partition: int) -> str:
        return f"{self.shard(partition)}:alerts:day:*"

    def customer_id_of(self, key: bytes) -> str:
        text = key.decode()  # {ns:pN}:c:id -> id
        return text[text.index("}") + len(CUSTOMER) + 1 :]

    # shared by every partition, each kind under its own tag

    def model(self, period: int) -> str:
        return f"{self._models}:model:{period}"

    def train_lock(self, period: int) -> str:
        return f"{self._models}:train-lock:{period}"

    def seal_lock(self, day: int) -> str:
        return f"{self._alerts}:seal-lock:{day}"
