"""The capacity planner (``salesim plan``): decision variables (:mod:`.vary`)
and the space and targets they span (:mod:`.space`), replications on demand
with common random numbers (:mod:`.evaluate`), the search (:mod:`.search`)
and the decision with its evidence (:mod:`.decision`)."""
