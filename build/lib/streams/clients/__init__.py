"""Broker clients (kafka-python): topics, producing files, reading topics back, security."""
