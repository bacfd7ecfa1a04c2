"""The pure pipeline: decoding, ordering, one batch step, and the loop that drives it.

Nothing here imports Faust, Redis or a Kafka client: the engine talks to storage and
outputs through the protocols in :mod:`streams.pipeline.ports`.
"""
