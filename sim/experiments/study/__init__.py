"""Factorial studies from a study file (``salesim study``): the file and the
scenario of each cell (:mod:`.study_file`), running the cells
(:mod:`.factorial`), effects and variance shares (:mod:`.effects`) and
plain-language findings (:mod:`.findings`)."""
