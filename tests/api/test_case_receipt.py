"""GET /v1/cases/{c}/receipt: the self-proving receipt (FORMATS 16.6) of a step of a witnessed case, which
verifies with no server against the witness policy; a step not yet covered, an unknown case and a bad step
number are problems."""

from __future__ import annotations

from ledger.core.encoding import hex0x
from ledger.core.policy import Policy
from ledger.core.receipt_proof import ReceiptProof, verify_receipt
from tests.factories import CaseBuilder


def test_the_receipt_of_the_newest_covered_step_verifies_offline(witnessed_app):
    case = CaseBuilder(witnessed_app.agency)
    witnessed_app.seed(3, case)
    witnessed_app.append_unwitnessed(1, case)  # step 4: not covered yet
    client = witnessed_app.client
    url = f"/v1/cases/{hex0x(case.commitment)}/receipt"
    answer = client.get(url)
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.headers["cache-control"] == "no-store"
    receipt = ReceiptProof.decode(answer.text.strip())
    assert receipt.event.case_seq == 3 and receipt.event.case_commitment == case.commitment
    checked = verify_receipt(receipt, Policy.parse(witnessed_app.policy_text))
    assert checked.checked.quorum_met and len(checked.checked.cosigned_by) == 3
    assert checked.signer == witnessed_app.agency.address
    first = ReceiptProof.decode(client.get(url, params={"caseSeq": 1}).text.strip())
    assert first.event.case_seq == 1 and first.index == receipt.index - 2
    assert len(answer.text.strip()) < 2048
    for params, status in (({"caseSeq": 4}, 404), ({"caseSeq": 0}, 422), ({"caseSeq": "x"}, 422)):
        refused = client.get(url, params=params)
        assert refused.status_code == status and refused.headers["content-type"] == "application/problem+json"
    assert client.get(f"/v1/cases/0x{'11' * 32}/receipt").status_code == 404
