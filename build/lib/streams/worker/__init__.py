"""The Faust worker: the app, its adapter to Faust and aiokafka, publishing, metrics, health."""
