"""Development services: embedded broker and Valkey, the demo runner, synthetic data."""
