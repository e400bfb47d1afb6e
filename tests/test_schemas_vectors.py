"""docs/schemas/*.json held to the golden vectors (tests/vectors/*.json).

Every vector object that a schema describes is checked against it: the valid ones validate; the
failing variants that are format errors (`InvalidField`) do not; the ones that are well formed and
fail only verification (a signature, a root, a proof, the case chain) validate, since a schema checks
shape only. What a schema cannot say (low-s, cross-member agreement, ...) is listed below by vector,
with the sentence of the schema that says so; the lists must be exact, so a schema made looser or
stricter, or a new vector either way, fails here until the list is looked at.

Vectors without a schema: leaf bytes, test keys, commitments, inclusion and consistency proofs
(their files have no JSON object form that a schema of docs/schemas describes).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "docs" / "schemas"
VECTORS = ROOT / "tests" / "vectors"
SUBMISSION = json.loads((SCHEMAS / "event-submission.schema.json").read_text())
BUNDLE = json.loads((SCHEMAS / "proof-bundle.schema.json").read_text())

#: Format errors a schema lets through, each with the schema's own words for why.
FORMAT_ERRORS_A_SCHEMA_CANNOT_SEE = {
    ("signature", "high-s form of the same signature"): "Low-s (s <= n/2) ... not checked by this schema",
    ("signature", "r = 0"): "1 <= r < n are required too (section 4) but not checked by this schema",
    ("signature", "r = n"): "1 <= r < n are required too (section 4) but not checked by this schema",
    ("signature", "s = 0"): "Low-s (s <= n/2) and 1 <= r < n ... not checked by this schema",
    ("serviceEvent", "summary with a noncharacter (U+FFFF, category Cn)"): "unassigned code points ... not checked",
    ("checkpointText", "a tree size of 2^63"): "Not checked here: that the size is below 2^63",
    ("checkpoint", "treeSize differs from the text"): "Not checked here: ... that the text agrees with treeSize",
    ("checkpoint", "rootHash differs from the text"): "Not checked here: ... that the text agrees with rootHash",
    ("checkpoint", "treeSize as a JSON fraction"): "JSON Schema counts 1.0 as an integer ($comment)",
    ("bundle", "checkpoint treeSize disagrees with its text"): "cannot check ... that treeSize and rootHash agree",
    ("bundle", "a note whose log signature has lost its base64 padding"): "Not checked here: ... the base64",
}
#: Well-formed-looking failures a schema refuses anyway: the bundle carries the canonical signature.
VERIFICATION_ERRORS_A_SCHEMA_REFUSES = {
    ("bundle", "a signature with v = 0/1: bundles carry the canonical form"): "v = 27 (0x1b) or 28 (0x1c)",
}


def _validator(schema: dict[str, Any], ref: str | None = None) -> Draft202012Validator:
    if ref is None:
        return Draft202012Validator(schema)
    return Draft202012Validator({"$schema": schema["$schema"], "$ref": ref, "$defs": schema["$defs"]})


VALIDATORS = {
    "serviceEvent": _validator(SUBMISSION, "#/$defs/serviceEvent"),
    "bundleServiceEvent": _validator(BUNDLE, "#/$defs/serviceEvent"),
    "signature": _validator(SUBMISSION, "#/$defs/signature"),
    "eip712Domain": _validator(BUNDLE, "#/$defs/eip712Domain"),
    "checkpoint": _validator(BUNDLE, "#/$defs/checkpoint"),
    "checkpointText": Draft202012Validator(
        {"$schema": BUNDLE["$schema"], **BUNDLE["$defs"]["checkpoint"]["properties"]["checkpoint"]}
    ),
    "bundle": _validator(BUNDLE),
}


def _vectors(name: str) -> list[dict[str, Any]]:
    return json.loads((VECTORS / f"{name}.json").read_text())["vectors"]


def _cases() -> Iterator[tuple[str, str, Any, dict[str, Any]]]:
    """(schema, description, object, vector) for every vector object a schema describes."""
    for v in _vectors("events"):
        kind = v["kind"]
        if kind == "eventJson":
            yield "serviceEvent", v["description"], v["event"], v
        elif kind in ("domain", "domainJson"):
            yield "eip712Domain", v["description"], v["domain"], v
        elif kind == "signature":
            yield "signature", v["description"], v["signature"], v
        elif kind == "signedEvent":
            yield "serviceEvent", v["description"], v["event"], v
            yield "bundleServiceEvent", v["description"], v["event"], v
            yield "signature", v["description"], v["signature"], v
    for v in _vectors("checkpoints"):
        if v["kind"] == "text":
            yield "checkpointText", v["description"], v["text"], v
        else:
            yield "checkpoint", v["description"], v["checkpoint"], v
    for v in _vectors("bundles"):
        yield "bundle", v["description"], v["bundle"], v
        if v["valid"]:
            for event in v["bundle"]["events"]:
                yield "serviceEvent", v["description"], event["event"], v


def _short(description: str) -> str:
    return next(
        (
            d
            for _, d in (*FORMAT_ERRORS_A_SCHEMA_CANNOT_SEE, *VERIFICATION_ERRORS_A_SCHEMA_REFUSES)
            if description.startswith(d)
        ),
        description,
    )


CASES = list(_cases())


def test_the_schemas_are_valid_json_schema_2020_12():
    for schema in (SUBMISSION, BUNDLE):
        Draft202012Validator.check_schema(schema)


def test_every_vector_kind_with_a_schema_is_checked():
    assert {schema for schema, *_ in CASES} == set(VALIDATORS)
    assert len(CASES) > 150


@pytest.mark.parametrize(("schema", "description", "obj", "vector"), CASES, ids=[f"{s}:{d}" for s, d, *_ in CASES])
def test_vector_against_schema(schema, description, obj, vector):
    ok = VALIDATORS[schema].is_valid(obj)
    key = (schema, _short(description))
    if vector["valid"]:
        assert ok, f"a valid vector fails {schema}: {description}"
    elif vector["error"] == "InvalidField":
        assert ok == (key in FORMAT_ERRORS_A_SCHEMA_CANNOT_SEE), f"{schema} and the format disagree: {description}"
    else:  # a verification failure of a well-formed object
        assert ok == (key not in VERIFICATION_ERRORS_A_SCHEMA_REFUSES), f"{schema}: {description}"


def test_the_exception_lists_name_real_vectors():
    seen = {(schema, _short(description)) for schema, description, *_ in CASES}
    assert set(FORMAT_ERRORS_A_SCHEMA_CANNOT_SEE) <= seen
    assert set(VERIFICATION_ERRORS_A_SCHEMA_REFUSES) <= seen


def test_the_two_schemas_state_the_same_service_event():
    """The submission schema and the bundle schema each restate the ServiceEvent struct: on every
    event vector they agree (the submission side also takes upper-case hex, which no vector uses)."""
    events = [v["event"] for v in _vectors("events") if v["kind"] in ("eventJson", "signedEvent")]
    verdicts = [(VALIDATORS["serviceEvent"].is_valid(e), VALIDATORS["bundleServiceEvent"].is_valid(e)) for e in events]
    assert all(a == b for a, b in verdicts) and (True, True) in verdicts and (False, False) in verdicts


def test_a_whole_submission_validates():
    """A signed event vector as the body of POST /v1/events: one item, and a batch of them."""
    signed = [v for v in _vectors("events") if v["kind"] == "signedEvent"]
    items = [{"event": v["event"], "signature": v["signature"], "payload": None, "payloadSalt": None} for v in signed]
    zero = "0x" + "00" * 32
    plain = [i for i in items if i["event"]["payloadDigest"] == zero]
    validator = _validator(SUBMISSION)
    assert plain and all(validator.is_valid(i) for i in plain)
    assert validator.is_valid({"events": plain})
    with_digest = [i for i in items if i["event"]["payloadDigest"] != zero]
    assert with_digest and not any(validator.is_valid(i) for i in with_digest)  # a digest needs its payload and salt
    salted = {**with_digest[0], "payload": {"nik": "3171"}, "payloadSalt": "0x" + "ab" * 16}
    assert validator.is_valid(salted)
    assert not validator.is_valid({"events": []})
    assert not validator.is_valid({**plain[0], "extra": 1})
