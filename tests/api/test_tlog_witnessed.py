"""GET /tlog/checkpoint of a witnessed log: the newest checkpoint the policy's quorum cosigned, with its
cosignatures (as a witnessed log publishes), verified by tlog-scales' own parser and verifiers."""

from __future__ import annotations

from tlog_scales.signing import Vkey as ScalesVkey
from tlog_scales.signing import VkeySet
from tlog_scales.tlog import Checkpoint as ScalesCheckpoint

from ledger.core.note import Note
from ledger.core.policy import Policy, check_checkpoint
from tests.api.witnessed import COSIGNERS


def test_the_tlog_checkpoint_is_the_newest_witnessed_one_with_its_cosignatures(witnessed_app):
    client = witnessed_app.client
    witnessed_app.seed(3)
    witnessed_app.append_unwitnessed(2)
    # a newer checkpoint that only one witness has cosigned: not yet what the log publishes
    witnessed_app.seed(1, cosigners=1)
    response = client.get("/tlog/checkpoint")
    assert response.status_code == 200 and response.headers["content-type"] == "text/plain; charset=utf-8"
    note = Note.parse(response.content)
    checked = check_checkpoint(Policy.parse(witnessed_app.policy_text), note)
    assert checked.checkpoint.tree_size == 3 and checked.quorum_met and len(checked.cosigned_by) == 3
    scales = ScalesCheckpoint.from_text(response.text)
    scales.verify(ScalesVkey.from_string(witnessed_app.log_vkey))
    keys = VkeySet(*(ScalesVkey.from_string(str(c.vkey)) for c in COSIGNERS.values()))
    assert len(keys.verify(scales.signatures, scales)) == 3
    # the citizens' view and the tlog view agree on the checkpoint
    assert client.get("/v1/checkpoints/3").json()["note"] == response.text


def test_before_any_quorum_the_newest_signed_checkpoint_is_served(witnessed_app):
    witnessed_app.seed(2, cosigners=1)
    note = Note.parse(witnessed_app.client.get("/tlog/checkpoint").content)
    assert note.text.split("\n")[1] == "2" and len(note.signatures) == 2  # the log's and one cosignature
