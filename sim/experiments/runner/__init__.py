"""How a study's replications run and where they go: the shared driver
(points x replications -> chunks -> store), executors and their worker, seeds
per replication, the Parquet part store with its manifest, KPI rows and the
progress bar. Nothing here knows what a batch, a sweep or a plan is."""
