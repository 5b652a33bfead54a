"""Presentation layer: the ``salesim`` command line, text reports and file output."""
