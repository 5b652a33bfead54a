"""Studies of scenarios given on the command line, on the shared driver:
``batch`` (one scenario), ``compare`` (paired, common random numbers),
``sweep`` (design points and sensitivity indices), the compound-effect study,
and the statistics all studies report (:mod:`.stats`)."""
