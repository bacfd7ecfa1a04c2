"""Storage: keys and encodings, customer store, model snapshots, alert days; Redis and memory."""
