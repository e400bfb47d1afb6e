"""A log that is all tlog_scales (code nobody here wrote): its TilesWriter grows the tree and signs each
checkpoint with its PlainEd25519Signer, and its TilesReader makes the consistency proofs. The witness
cosigns every checkpoint, and tlog_scales verifies each cosignature. A fork made by tlog_scales is refused."""

from __future__ import annotations

import base64

import httpx
from tlog_scales import backend, reader, signing, tlog, writer

from ledger.witness.admin import add_witnessed_log, init_witness, open_witness
from ledger.witness.app import create_app
from tests.witness.conftest import PASSWORD, serve_app

SEED = bytes([0x42]) * 32  # TEST seed of the tlog_scales log


def add_checkpoint_body(old: int, proof: list[bytes], checkpoint: str) -> bytes:
    return (f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof) + "\n" + checkpoint).encode()


def test_a_tlog_scales_log_is_witnessed_and_its_forks_refused(tmp_path):
    signer = signing.PlainEd25519Signer("scales.test/log", SEED)
    data_dir = tmp_path / "witness"
    witness_vkey = init_witness(data_dir, "scales.test/witness", PASSWORD, demo=True)
    add_witnessed_log(data_dir, signer.vkey.serialize())
    verifier = signing.Ed25519CosignatureVerifier(signing.Vkey.from_string(str(witness_vkey)))
    tiles = writer.TilesWriter.create(tmp_path / "log", "scales.test/log")
    witness = open_witness(data_dir, PASSWORD)
    old = 0
    with serve_app(create_app(witness)) as url, httpx.Client(timeout=10) as client:
        for batch in (3, 1, 252, 1, 300, 7):
            for i in range(batch):
                tiles.add_leaf(b"scales entry %d" % (tiles.size + len(tiles.pending) + i))
            tiles.commit([signer])
            text = (tmp_path / "log" / "checkpoint").read_text()
            new = tlog.Checkpoint.from_text(text).size
            proof: list[bytes] = []
            if old:  # from the empty tree no proof is sent
                log_reader = reader.TilesReader(backend.LocalBackend(tmp_path / "log"))
                log_reader.set_size(new)
                proof = log_reader.get_consistency_proof(old, new).node_hashes
            response = client.post(url + "/add-checkpoint", content=add_checkpoint_body(old, proof, text))
            assert response.status_code == 200, response.text
            cosigned = tlog.Checkpoint.from_text(text + response.text)
            sig = next(s for s in cosigned.signatures if verifier.vkey.match(s))
            verifier.verify_note(sig, cosigned)  # raises if it does not verify
            cosigned.verify(signer.vkey)
            old = new

        # a fork, also made by tlog_scales: the same key, other entries after the first 4
        fork = writer.TilesWriter.create(tmp_path / "fork", "scales.test/log")
        for i in range(old + 2):
            fork.add_leaf(b"scales entry %d" % i if i < 4 else b"forked entry %d" % i)
        fork.commit([signer])
        fork_text = (tmp_path / "fork" / "checkpoint").read_text()
        fork_reader = reader.TilesReader(backend.LocalBackend(tmp_path / "fork"))
        fork_reader.set_size(old + 2)
        fork_proof = fork_reader.get_consistency_proof(old, old + 2).node_hashes
        refused = client.post(url + "/add-checkpoint", content=add_checkpoint_body(old, fork_proof, fork_text))
        assert refused.status_code == 422
    assert len(list((data_dir / "evidence").rglob("*.txt"))) == 1
