"""The ``churnwatch`` command line."""
