"""The errors churnwatch raises on purpose: each says what went wrong and what to do about it.

Every one is a :class:`ChurnwatchError`, so a caller can tell them from bugs, and each keeps
the built-in it used to be (a stalled read is still a ``TimeoutError``). The pure core's
refusal of a mark (:class:`alerts.marks.MarkRefused`, a ``ValueError``) lives with the rule
it enforces: ``alerts`` imports nothing from ``streams``.
"""

from __future__ import annotations


class ChurnwatchError(Exception):
    """An error churnwatch raises on purpose, with a message a person can act on."""


class MissingTool(ChurnwatchError, RuntimeError):
    """Java 17 or Maven is not on this machine (Apache Kafka's jars)."""


class PipelineIncomplete(ChurnwatchError, RuntimeError):
    """The worker stopped, or stopped making progress, before every message was accounted for."""


class LayoutMismatch(ChurnwatchError, RuntimeError):
    """The namespace was written in another key layout or with another partition count."""


class ReadStalled(ChurnwatchError, TimeoutError):
    """Reading a topic back made no progress for the allowed time."""


class CannotListen(ChurnwatchError, RuntimeError):
    """The console's address is taken or not this machine's."""


class OpenBindRefused(ChurnwatchError, RuntimeError):
    """Binding beyond loopback without a token would show customers' data to the network."""
