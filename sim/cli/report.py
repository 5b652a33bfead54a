"""The run summary's sections live in :mod:`sim.report.summary` (shared with the
HTML report); this module keeps the old import path working."""

from sim.report.summary import SECTIONS, RunView, sections, summary

__all__ = ["SECTIONS", "RunView", "sections", "summary"]
