"""C2SP tlog-checkpoint bodies: parse only the canonical form, round-trip exactly."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.checkpoint import MAX_TREE_SIZE, Checkpoint, default_origin
from ledger.errors import InvalidField

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)

ROOT = bytes(range(32))
B64 = base64.b64encode(ROOT).decode()
URLSAFE = base64.urlsafe_b64encode(bytes([0xFF]) * 32).decode()
ORIGIN = "saksi/eip155:31337/0x5fbdb2315678afecb367f032d93f642f64180aa3"

origins = st.text(
    st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp", "Cn", "Co", "Cf", "Zs")), min_size=1, max_size=100
)
checkpoints = st.builds(Checkpoint, origins, st.integers(0, MAX_TREE_SIZE), st.binary(min_size=32, max_size=32))


def test_default_origin() -> None:
    contract = bytes.fromhex("5FBDB2315678AFECB367F032D93F642F64180AA3")
    assert default_origin(31337, contract) == ORIGIN


def test_text_form() -> None:
    checkpoint = Checkpoint(ORIGIN, 11, ROOT)
    assert checkpoint.to_text() == f"{ORIGIN}\n11\n{B64}\n"
    assert checkpoint.to_json() == {"treeSize": 11, "rootHash": "0x" + ROOT.hex(), "checkpoint": checkpoint.to_text()}


@PROPERTY
@given(checkpoints)
def test_round_trips(checkpoint: Checkpoint) -> None:
    assert Checkpoint.from_text(checkpoint.to_text()) == checkpoint
    assert Checkpoint.from_json(checkpoint.to_json()) == checkpoint
    assert Checkpoint.from_text(checkpoint.to_text()).to_text() == checkpoint.to_text()


@st.composite
def mangled_texts(draw: st.DrawFn) -> str:
    """A valid body with a few characters inserted, deleted or replaced."""
    text = draw(checkpoints).to_text()
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        char = draw(st.sampled_from(["0", "1", "\n", " ", "=", "+", "/", "A", "a", "\r", "-", "é"]))
        if action == "insert":
            text = text[:position] + char + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + 1 :]
        else:
            text = text[:position] + char + text[position + 1 :]
    return text


@PROPERTY
@given(st.one_of(mangled_texts(), st.text(max_size=120)))
def test_only_canonical_text_parses(text: str) -> None:
    """Whatever parses prints back to exactly the same text: one checkpoint, one encoding."""
    try:
        checkpoint = Checkpoint.from_text(text)
    except InvalidField as error:
        assert error.field in ("checkpoint", "checkpoint.origin", "checkpoint.treeSize", "checkpoint.rootHash")
    else:
        assert checkpoint.to_text() == text


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (f"{ORIGIN}\n11\n{B64}", "checkpoint"),
        (f"{ORIGIN}\n11\n{B64}\nextension\n", "checkpoint"),
        (f"{ORIGIN}\n011\n{B64}\n", "checkpoint.treeSize"),
        (f"{ORIGIN}\n{MAX_TREE_SIZE + 1}\n{B64}\n", "checkpoint.treeSize"),
        (f"{ORIGIN}\n١١\n{B64}\n", "checkpoint.treeSize"),  # Arabic-Indic digits
        (f"{ORIGIN}\n11\n{base64.b64encode(ROOT[:31]).decode()}\n", "checkpoint.rootHash"),
        (f"{ORIGIN}\n11\n{URLSAFE}\n", "checkpoint.rootHash"),
        (f"{ORIGIN}\n11\n{B64.rstrip('=')}\n", "checkpoint.rootHash"),
        (f"{ORIGIN}\n11\n {B64}\n", "checkpoint.rootHash"),
        (f"\n11\n{B64}\n", "checkpoint.origin"),
        (f"a\u2028b\n11\n{B64}\n", "checkpoint.origin"),
        (None, "checkpoint"),
        (b"bytes\n1\nAA==\n", "checkpoint"),
    ],
)
def test_bad_texts(text: Any, field: str) -> None:
    with pytest.raises(InvalidField) as raised:
        Checkpoint.from_text(text)
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"treeSize": 12}, "checkpoint.treeSize"),
        ({"treeSize": True}, "checkpoint.treeSize"),  # JSON true is not the number 1
        ({"treeSize": 1.0}, "checkpoint.treeSize"),
        ({"treeSize": "1"}, "checkpoint.treeSize"),
        ({"rootHash": "0x" + "00" * 32}, "checkpoint.rootHash"),
        ({"rootHash": ROOT.hex()}, "checkpoint.rootHash"),
        ({"checkpoint": None}, "checkpoint"),
    ],
)
def test_bad_json(changes: dict[str, Any], field: str) -> None:
    data = {**Checkpoint(ORIGIN, 1, ROOT).to_json(), **changes}
    with pytest.raises(InvalidField) as raised:
        Checkpoint.from_json(data)
    assert raised.value.field == field


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("", 1, ROOT), "checkpoint.origin"),
        (("a\nb", 1, ROOT), "checkpoint.origin"),
        ((ORIGIN, -1, ROOT), "checkpoint.treeSize"),
        ((ORIGIN, MAX_TREE_SIZE + 1, ROOT), "checkpoint.treeSize"),
        ((ORIGIN, 1, ROOT[:31]), "checkpoint.rootHash"),
    ],
)
def test_constructor_refuses_invalid_checkpoints(args: tuple[Any, ...], field: str) -> None:
    with pytest.raises(InvalidField) as raised:
        Checkpoint(*args)
    assert raised.value.field == field


def test_checkpoints_are_frozen() -> None:
    checkpoint = Checkpoint(ORIGIN, 1, ROOT)
    with pytest.raises(AttributeError):
        checkpoint.tree_size = 2  # type: ignore[misc]
