"""Every status of c2sp.org/tlog-witness@v1 add-checkpoint, from raw HTTP bodies of the spec client,
with cosignatures checked by the spec client, by tlog_scales (an outside verifier) and by ledger.core.note."""

from __future__ import annotations

import hashlib
import http.client
import socket

import pytest
import tlog_scales.signing as ts_signing
import tlog_scales.tlog as ts_tlog

from ledger.core.note import Note, Vkey, verify_note
from ledger.witness.admin import add_witnessed_log
from tests.witness.conftest import CLOCK, WITNESS_NAME, leaves
from tests.witness.spec_client import (
    EM_DASH,
    Log,
    LogKey,
    b64,
    body,
    checkpoint_text,
    consistency_proof,
    mth,
    signed_checkpoint,
    verify_cosignature_line,
)

TEXT = "text/plain; charset=utf-8"


def witness_vkey(served) -> str:
    return str(served.witness.config.vkey)


def assert_cosigned(served, response, size: int) -> str:
    """200 with exactly one cosignature line over the checkpoint of `size`, verified three ways."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == TEXT
    line = response.content.decode()
    assert line.startswith(f"{EM_DASH} {WITNESS_NAME} ") and line.count("\n") == 1 and line.endswith("\n")
    text = checkpoint_text(served.log.key.name, size, served.log.root(size))
    assert verify_cosignature_line(line, witness_vkey(served), text) == CLOCK
    # tlog_scales, code nobody here wrote
    vkey = ts_signing.Vkey.from_string(witness_vkey(served))
    checkpoint = ts_tlog.Checkpoint.from_text(served.log.note(size) + line)
    sig = next(s for s in checkpoint.signatures if vkey.match(s))
    ts_signing.Ed25519CosignatureVerifier(vkey).verify_note(sig, checkpoint)
    assert ts_signing.Ed25519CosignatureVerifier.get_timestamp(sig.payload) == CLOCK
    # ours
    verified = verify_note(Note.parse(served.log.note(size) + line), [Vkey.parse(witness_vkey(served))])
    assert [v.timestamp for v in verified] == [CLOCK]
    return line


def test_first_checkpoint_then_growth_then_the_same_again(served):
    line = assert_cosigned(served, served.post(served.log.request(0, 5)), 5)
    hashed = hashlib.sha256(served.log.key.name.encode()).hexdigest()
    stored = served.client.get(f"{served.url}/{hashed}/checkpoint")
    assert stored.status_code == 200 and stored.headers["content-type"] == TEXT
    assert stored.content.decode() == served.log.note(5) + line  # the log's signature, then the cosignature

    assert_cosigned(served, served.post(served.log.request(5, 13)), 13)
    assert_cosigned(served, served.post(served.log.request(13, 16)), 16)  # a power of two
    assert_cosigned(served, served.post(served.log.request(16, 40)), 40)
    assert_cosigned(served, served.post(served.log.request(40, 40)), 40)  # the same checkpoint: cosigned again
    assert served.client.get(f"{served.url}/{hashed}/checkpoint").content.decode().startswith(served.log.note(40))


def test_the_monitoring_checkpoint_verifies_with_tlog_scales(served):
    served.post(served.log.request(0, 7))
    hashed = hashlib.sha256(served.log.key.name.encode()).hexdigest()
    checkpoint = ts_tlog.Checkpoint.from_text(served.client.get(f"{served.url}/{hashed}/checkpoint").text)
    assert (checkpoint.origin, checkpoint.size, checkpoint.root_hash) == (served.log.key.name, 7, served.log.root(7))
    checkpoint.verify(ts_signing.Vkey.from_string(served.log.key.vkey))
    checkpoint.verify(ts_signing.Vkey.from_string(witness_vkey(served)))


def test_an_empty_tree_is_cosigned_with_the_empty_root(served):
    assert_cosigned(served, served.post(served.log.request(0, 0)), 0)
    assert_cosigned(served, served.post(served.log.request(0, 3)), 3)


def test_409_names_the_latest_cosigned_size_as_text_x_tlog_size(served):
    served.post(served.log.request(0, 8))
    for old in (0, 5, 9):
        response = served.post(served.log.request(old, 20))
        assert response.status_code == 409
        assert response.headers["content-type"] == "text/x.tlog.size"
        assert response.content == b"8\n"
    fresh = Log(served.log.key, served.log.leaves)
    assert_cosigned(served, served.post(fresh.request(8, 20)), 20)  # re-proved from the size it was told


def test_404_for_an_unknown_origin(served):
    other = Log(LogKey("test.example/other-log", bytes(32)), leaves(4))  # TEST seed
    response = served.post(other.request(0, 4))
    assert response.status_code == 404 and response.headers["content-type"] == TEXT
    assert response.content == b"unknown origin\n"
    # the witnessed origin, signed by a key the witness does not trust for it: still its origin, so 403
    imposter = LogKey(served.log.key.name, bytes([7]) * 32)  # TEST seed, same name, other key
    note = signed_checkpoint(imposter, 4, mth(leaves(4)))
    assert served.post(body(0, [], note)).status_code == 403


def test_403_without_a_valid_signature_of_a_trusted_key(served):
    text = checkpoint_text(served.log.key.name, 5, served.log.root(5))
    good = served.log.key.signature_line(text)
    unknown = LogKey("test.example/someone", bytes([9]) * 32).signature_line(text)  # TEST seed
    blob = bytearray(__import__("base64").b64decode(good.split(" ")[2]))
    blob[-1] ^= 1
    corrupted = f"{EM_DASH} {served.log.key.name} {b64(bytes(blob))}\n"
    same_name_other_id = f"{EM_DASH} {served.log.key.name} {b64(bytes(4) + bytes(blob[4:]))}\n"
    for signatures, status in (
        (unknown, 403),  # no trusted key signed: unknown keys are ignored
        (same_name_other_id, 403),  # a name but not an ID of a trusted key: ignored too
        (corrupted, 403),  # a trusted key whose signature fails
        (good + corrupted, 403),  # ... even beside a good one (the note is malformed)
        (unknown + good, 200),
    ):
        before = served.files()
        response = served.post(body(0, [], text + "\n" + signatures))
        assert response.status_code == status, (signatures, response.text)
        if status == 403:
            assert response.content.startswith(b"log signature: ") and served.files() == before


def test_unknown_signatures_are_not_kept_in_the_state(served):
    text = checkpoint_text(served.log.key.name, 5, served.log.root(5))
    unknown = LogKey("test.example/someone", bytes([9]) * 32).signature_line(text)  # TEST seed
    line = served.post(body(0, [], text + "\n" + unknown + served.log.key.signature_line(text))).text
    hashed = hashlib.sha256(served.log.key.name.encode()).hexdigest()
    assert served.client.get(f"{served.url}/{hashed}/checkpoint").text == served.log.note(5) + line


def test_400_when_old_is_above_the_checkpoint_size(served):
    served.post(served.log.request(0, 10))
    before = served.files()
    response = served.post(body(10, [], served.log.note(6)))  # a rollback attempt
    assert response.status_code == 400 and response.content == b"old size is larger than the checkpoint size\n"
    assert served.files() == before


def evidence_files(served) -> list[str]:
    return [name for name in served.files() if name.startswith("evidence/")]


def test_422_refusals_and_the_evidence_of_forks(served):
    served.post(served.log.request(0, 10))
    state = served.files()
    fork = Log(served.log.key, leaves(10)[:6] + leaves(30, b"fork")[6:])
    empty_root_liar = body(0, [], signed_checkpoint(served.log.key, 0, served.log.root(3)))
    proof_from_zero = body(0, [served.log.root(1)], served.log.note(12))
    cases = [
        (empty_root_liar, 409, False),  # old 0 is not the cosigned size 10: the size is checked first
        (fork.request(10, 20), 422, True),  # a consistency proof that cannot hold: the log forked
        (body(10, [], fork.note(10)), 422, True),  # same size, other root
        (body(10, consistency_proof(10, served.log.leaves[:20])[:-1], served.log.note(20)), 422, True),
    ]
    for request, status, kept in cases:
        count = len(evidence_files(served))
        response = served.post(request)
        assert response.status_code == status, response.text
        assert len(evidence_files(served)) == count + kept
    assert {k: v for k, v in served.files().items() if k.startswith("state/")} == state
    kept = sorted(evidence_files(served))
    hashed = hashlib.sha256(served.log.key.name.encode()).hexdigest()
    assert all(name.startswith(f"evidence/{hashed}/") and name.endswith(".txt") for name in kept)
    assert served.files()[kept[0]] in {cases[1][0], cases[2][0], cases[3][0]}
    served.post(cases[1][0])  # the same body again is kept once
    assert len(evidence_files(served)) == 3

    # a fresh origin: the 422s that only the empty state reaches (nothing is evidence there)
    other = Log(LogKey("test.example/log2", bytes([3]) * 32), leaves(12))  # TEST seed
    add_witnessed_log(served.data_dir, other.key.vkey)
    empty_liar = body(0, [], signed_checkpoint(other.key, 0, other.root(3)))
    response = served.post(empty_liar)
    assert (
        response.status_code == 422 and response.content == b"a checkpoint of size 0 must have the empty tree's root\n"
    )
    response = served.post(body(0, [other.root(1)], other.note(12)))
    assert response.status_code == 422 and response.content == b"the proof from old size 0 must be empty\n"
    assert len(evidence_files(served)) == 3
    assert served.post(proof_from_zero).status_code == 409  # the first origin checks its size first


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda b: b.replace(b"old 0\n", b"old 0\nnot base64!\n", 1), id="bad-base64"),
        pytest.param(lambda b: b.replace(b"old 0\n", b"old 0\n" + b"AAAA\n", 1), id="short-hash"),
        pytest.param(
            lambda b: b.replace(b"old 0\n", b"old 0\n" + (b64(bytes(32)).encode() + b"\n") * 64, 1), id="64-proof-lines"
        ),
        pytest.param(lambda b: b.replace(b"\n", b"\r\n"), id="crlf"),
        pytest.param(lambda b: b.replace(b"old 0\n", b"old 0\r\n", 1), id="cr-in-old-line"),
        pytest.param(lambda b: b.replace(b"old 0\n\n", b"old 0\n", 1), id="missing-blank-line"),
        pytest.param(lambda b: b + b"x" * (200 * 1024), id="huge-body"),
        pytest.param(lambda b: b.replace(b"test.example/log\n", b"test.example/l\xffog\n", 1), id="non-utf8"),
        pytest.param(lambda b: b.replace(b"old 0", b"old 00", 1), id="leading-zero"),
        pytest.param(lambda b: b.replace(b"old 0", b"old -0", 1), id="negative"),
        pytest.param(lambda b: b.replace(b"old 0", b"old  0", 1), id="two-spaces"),
        pytest.param(lambda b: b.replace(b"old 0", b"old 99999999999999999999", 1), id="old-over-2^63"),
        pytest.param(lambda b: b.replace(b"old 0\n", b"", 1), id="no-old-line"),
        pytest.param(lambda b: b"", id="empty"),
        pytest.param(lambda b: b[:-1], id="no-final-newline"),
        pytest.param(lambda b: b.replace(b"\n5\n", b"\n05\n", 1), id="size-leading-zero"),
        pytest.param(lambda b: b.replace(b"\n\n\xe2\x80\x94", b"\n\n\n\xe2\x80\x94", 1), id="empty-extension-line"),
        pytest.param(lambda b: b.replace(b"\xe2\x80\x94 ", b"- ", 1), id="no-em-dash"),
        pytest.param(
            lambda b: b.replace(b"\xe2\x80\x94 test.example/log ", b"\xe2\x80\x94 test.example/log  ", 1),
            id="signature-two-spaces",
        ),
        pytest.param(lambda b: b.rsplit(b"\n\n", 1)[0] + b"\n\n", id="no-signature"),
        pytest.param(lambda b: b.replace(b"old 0\n\n", b"old 0\n\n\x01", 1), id="control-character"),
    ],
)
def test_malformed_bodies_are_400_and_write_nothing(served, mangle):
    good = served.log.request(0, 5)
    before = served.files()
    response = served.post(mangle(good))
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == TEXT
    assert response.content.endswith(b"\n") and response.content.count(b"\n") == 1 and len(response.content) < 200
    assert served.files() == before
    assert_cosigned(served, served.post(good), 5)  # and the witness still works


def test_a_body_declared_too_large_is_refused_before_it_is_read(served):
    connection = http.client.HTTPConnection("127.0.0.1", int(served.url.rsplit(":", 1)[1]), timeout=10)
    connection.request("POST", "/add-checkpoint", body=b"old 0\n", headers={"Content-Length": str(10**9)})
    response = connection.getresponse()
    assert (response.status, response.read()) == (400, b"body: over 131072 bytes\n")
    connection.close()


def test_checkpoints_with_extension_lines_are_cosigned_over_the_whole_text(served):
    text = checkpoint_text(served.log.key.name, 5, served.log.root(5), "extension one", "two")
    response = served.post(body(0, [], text + "\n" + served.log.key.signature_line(text)))
    assert response.status_code == 200
    assert verify_cosignature_line(response.text, witness_vkey(served), text) == CLOCK


def test_other_routes(served):
    assert served.client.get(served.url + "/healthz").text == "ok\n"
    assert served.client.get(served.url + "/add-checkpoint").status_code == 405
    hashed = hashlib.sha256(served.log.key.name.encode()).hexdigest()
    missing = served.client.get(f"{served.url}/{hashed}/checkpoint")
    assert missing.status_code == 404 and missing.text == "no checkpoint cosigned for this origin\n"
    assert served.client.get(f"{served.url}/{'0' * 64}/checkpoint").status_code == 404
    assert served.client.get(f"{served.url}/{hashed.upper()}/checkpoint").status_code == 404
    assert served.client.get(f"{served.url}/../witness-key.json").status_code == 404


def test_a_huge_header_block_is_refused_and_the_witness_keeps_serving(served):
    with socket.create_connection(("127.0.0.1", int(served.url.rsplit(":", 1)[1])), timeout=10) as sock:
        sock.sendall(b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n")
        answer = sock.recv(1000)
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert served.client.get(served.url + "/healthz").status_code == 200
