"""Every scenario key describes itself in the schema (pydantic field descriptions), so the
reference page generated from the JSON Schema (docs/hooks/reference.py) documents every key
with its type, default, range and meaning, and ``salesim schema`` carries the same words."""

from __future__ import annotations

from sim.scenario.schema import Scenario


def undescribed(schema: dict) -> list[str]:
    """``Model.key`` of every property with no description of its own nor of the one section it holds."""
    defs = schema.get("$defs", {})
    missing = []
    for name, model in [("Scenario", schema), *defs.items()]:
        for key, node in model.get("properties", {}).items():
            if node.get("description") or key == "dist":  # a distribution's tag is described by its section
                continue
            refs = [o["$ref"] for o in [node, *node.get("anyOf", []), *node.get("oneOf", [])] if "$ref" in o]
            # a key that holds one section is described by the section; a number-or-distribution is not
            if len(refs) == 1 and defs[refs[0].rsplit("/", 1)[-1]].get("description"):
                continue
            missing.append(f"{name}.{key}")
    return missing


def test_every_scenario_key_has_a_description_in_the_schema():
    assert undescribed(Scenario.model_json_schema(by_alias=True)) == []


def test_the_check_finds_a_key_without_one():
    schema = Scenario.model_json_schema(by_alias=True)
    del schema["properties"]["horizon_weeks"]["description"]
    schema["$defs"]["Role"]["properties"]["headcount"].pop("description")
    assert undescribed(schema) == ["Scenario.horizon_weeks", "Role.headcount"]
