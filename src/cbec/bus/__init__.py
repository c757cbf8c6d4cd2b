"""The pipeline past one machine on NATS JetStream (docs/decisions/0015): streams at the stage
boundaries partitioned by order (and by buyer for the import tax step), a lease per partition in
a JetStream key-value bucket, and the consumer loop that runs the areas' services on the
partitions a node holds. Nothing here is used when no ``--bus`` is given."""
