"""Pure churn logic: customer state, features, scorers. No Kafka, Faust or Redis imports."""
