"""config.json: a misspelled key or a value of the wrong type is one plain line naming the key (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.config import Limits, Settings
from ledger.errors import InvalidInput


def _load(tmp_path, content) -> Settings:
    raw = content if isinstance(content, bytes) else json.dumps(content).encode()
    (tmp_path / "config.json").write_bytes(raw)
    return Settings.load(tmp_path)


@pytest.mark.parametrize(
    "content, named",
    [
        ({"limits": {"max_body_byte": 1}}, "'limits.max_body_byte'"),
        ({"limits": {"max_body_bytes": "1"}}, "'limits.max_body_bytes' must be an integer"),
        ({"limits": {"worker_threads": 2.5}}, "'limits.worker_threads' must be an integer"),
        ({"limits": {"stats_max_age_s": None}}, "'limits.stats_max_age_s' must be a number"),
        ({"limits": [1]}, "limits must be a JSON object"),
        ({"anchor_every_leaves": "1000"}, "'anchor_every_leaves' must be an integer"),
        ({"confirmations": True}, "'confirmations' must be an integer"),
        ({"chain": 1}, "'chain' must be a string"),
        ({"cors_origins": "https://a.example"}, "'cors_origins' must be a list of strings"),
        ({"cors_origins": [1]}, "'cors_origins' must be a list of strings"),
        ({"chian": "embedded"}, "unknown setting 'chian'"),
        ({"data_dir": "/elsewhere"}, "unknown setting 'data_dir'"),
        ([], "must be a JSON object"),
        (b"\xff\xfe{}", "is not valid JSON"),
        (b"[" * 100_000, "is not valid JSON"),
    ],
)
def test_a_wrong_key_or_type_is_one_line_naming_it(tmp_path, content, named):
    with pytest.raises(InvalidInput) as caught:
        _load(tmp_path, content)
    assert named in caught.value.message
    assert "\n" not in caught.value.message


def test_a_deep_file_is_refused_even_where_the_recursion_limit_was_raised(tmp_path):
    """py_ecc raises the limit to 100,000 in any process that imports web3: the standard library's
    parser then ran past the C stack on this file (a segfault of the whole process)."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        with pytest.raises(InvalidInput, match="not valid JSON"):
            _load(tmp_path, b"[" * 100_000)
    finally:
        sys.setrecursionlimit(before)


def test_numbers_are_read_as_their_fields_type(tmp_path):
    loaded = _load(tmp_path, {"anchor_every_seconds": 5, "limits": {"stats_max_age_s": 1, "max_batch": 10}})
    assert loaded.anchor_every_seconds == 5.0 and isinstance(loaded.anchor_every_seconds, float)
    assert loaded.limits == Limits(stats_max_age_s=1.0, max_batch=10)


def test_saved_settings_load_back(tmp_path):
    original = Settings(
        data_dir=tmp_path, chain_id=1337, cors_origins=("https://a.example",), limits=Limits(max_batch=5)
    )
    original.save()
    assert Settings.load(tmp_path) == original


def test_the_cli_says_one_line_and_exits_2(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"limits": {"max_body_byte": 1}}))
    result = subprocess.run(
        [sys.executable, "-m", "ledger.cli", "serve", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"SAKSI_PASSWORD": "unused", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("saksi: ") and "'limits.max_body_byte'" in line


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
KEYS = st.sampled_from([*Settings.__dataclass_fields__, "limits", "unknown"])
LIMIT_KEYS = st.sampled_from([*Limits.__dataclass_fields__, "unknown"])


@settings(max_examples=300, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(
    top=st.dictionaries(KEYS, JSON_VALUES, max_size=4),
    limits=st.none() | st.dictionaries(LIMIT_KEYS, JSON_VALUES, max_size=4),
)
def test_any_config_loads_or_is_invalid_input(tmp_path_factory, top, limits):
    if limits is not None:
        top["limits"] = limits
    try:
        _load(tmp_path_factory.mktemp("cfg"), top)
    except InvalidInput as exc:
        assert "\n" not in exc.message
