"""A route's steps (:class:`sim.model.plan.StepPlan`) are built from named fields:
a misspelt or missing field is an error when the plan is built, not a ``None``
found on some lead's path much later; and a built step does not change."""

from __future__ import annotations

import dataclasses

import pytest

from sim.model.plan import StepPlan


def _fields(**extra):
    return dict(stage=1, role=None, prio=0, p=0.5, conv=lambda: 0.3, work=None, elapsed=None, last=False, **extra)


def test_a_step_is_built_from_its_fields():
    st = StepPlan(**_fields(sla_days=0.5))
    assert (st.stage, st.p, st.sla_days, st.attempts, st.may_return) == (1, 0.5, 0.5, 1, False)
    assert st.simple is False  # nobody works it: not the straight path to a role


def test_a_misspelt_field_is_a_type_error_not_a_none():
    with pytest.raises(TypeError, match="sla_dyas"):
        StepPlan(**_fields(sla_dyas=0.5))


def test_a_missing_field_is_a_type_error():
    fields = _fields()
    del fields["conv"]
    with pytest.raises(TypeError, match="conv"):
        StepPlan(**fields)


def test_a_built_step_does_not_change():
    st = StepPlan(**_fields())
    with pytest.raises(dataclasses.FrozenInstanceError):
        st.p = 0.9
    with pytest.raises((AttributeError, TypeError)):
        st.sla_dyas = 0.5  # slots: no attribute outside the fields
