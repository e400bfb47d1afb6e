"""C2SP tlog-policy: every rule of the spec, the spec's example policy, and checking cosigned checkpoints."""

from __future__ import annotations

import hashlib

import pytest

from ledger.core.checkpoint import Checkpoint
from ledger.core.note import Cosigner, Note, NoteSignature, NoteSigner, Vkey
from ledger.core.policy import (
    MAX_GROUPS,
    MAX_LOGS,
    MAX_WITNESSES,
    CheckedCheckpoint,
    Cosigning,
    Policy,
    PolicyGroup,
    PolicyLog,
    PolicyWitness,
    check_checkpoint,
)
from ledger.errors import InvalidField, InvalidInput, TooLarge, VerificationFailed

ORIGIN = "saksi/eip155:31337/0x5fbdb2315678afecb367f032d93f642f64180aa3"
CHECKPOINT = f"{ORIGIN}\n3\nWkAFHncav89iWu/6bq9a2j87Y3vUNTq5ZQICfIOUqmk=\n"
TIME = 1764000000


def seed(label: str) -> bytes:
    """TEST KEY ONLY: SHA-256("saksi TEST policy seed <label>"), public, never for real use."""
    return hashlib.sha256(f"saksi TEST policy seed {label}".encode()).digest()


LOG = NoteSigner(ORIGIN, seed("log"))
W = {n: Cosigner(f"{n.lower()}.witness.example", seed(n)) for n in ("X1", "X2", "X3", "Y1", "Y2", "Y3")}


def spec_example() -> str:
    """The example of c2sp.org/tlog-policy, keys filled in."""
    return (
        f"log {LOG.vkey}\n"
        "\n"
        f"witness X1 {W['X1'].vkey}\n"
        f"witness X2 {W['X2'].vkey}\n"
        f"witness X3 {W['X3'].vkey}\n"
        "group X-witnesses 2 X1 X2 X3\n"
        "\n"
        f"witness Y1 {W['Y1'].vkey}\n"
        f"witness Y2 {W['Y2'].vkey}\n"
        f"witness Y3 {W['Y3'].vkey}\n"
        "group Y-witnesses any Y1 Y2 Y3\n"
        "\n"
        "group X-and-Y all X-witnesses Y-witnesses\n"
        "quorum X-and-Y\n"
    )


def cosigned(*names: str) -> Note:
    note = Note(CHECKPOINT, (LOG.sign(CHECKPOINT),))
    return note.with_signatures(W[n].cosign(CHECKPOINT, TIME + i) for i, n in enumerate(names))


# --- the spec's example -------------------------------------------------------------------


def test_spec_example_parses() -> None:
    policy = Policy.parse(spec_example())
    assert policy.logs == (PolicyLog(LOG.vkey, None),)
    assert [w.name for w in policy.witnesses] == ["X1", "X2", "X3", "Y1", "Y2", "Y3"]
    assert policy.witnesses[0] == PolicyWitness("X1", W["X1"].vkey, None, None)
    assert policy.groups == (
        PolicyGroup("X-witnesses", 2, ("X1", "X2", "X3")),
        PolicyGroup("Y-witnesses", 1, ("Y1", "Y2", "Y3")),
        PolicyGroup("X-and-Y", 2, ("X-witnesses", "Y-witnesses")),
    )
    assert policy.quorum == "X-and-Y"
    assert policy.log_for(ORIGIN) == LOG.vkey
    assert policy.log_for("other.example/log") is None
    assert Policy.parse(spec_example().encode()) == policy


@pytest.mark.parametrize(
    ("names", "met"),
    [
        ((), False),
        (("X1", "X2"), False),
        (("Y1", "Y2", "Y3"), False),
        (("X1", "Y1"), False),
        (("X1", "X2", "Y3"), True),
        (("X1", "X2", "X3", "Y1", "Y2", "Y3"), True),
        (("X-witnesses", "Y-witnesses"), False),  # group names do not count as cosigners
        (("X1", "X3", "Y2", "nobody"), True),
    ],
)
def test_spec_example_quorum(names: tuple[str, ...], met: bool) -> None:
    assert Policy.parse(spec_example()).quorum_met(names) is met


def test_serialize_round_trips() -> None:
    policy = Policy.parse(spec_example())
    text = policy.serialize()
    assert Policy.parse(text) == policy
    assert text.splitlines()[-4:-1] == [
        "group X-witnesses 2 X1 X2 X3",
        "group Y-witnesses any Y1 Y2 Y3",
        "group X-and-Y all X-witnesses Y-witnesses",
    ]
    assert text.endswith("quorum X-and-Y\n")


# --- syntax -------------------------------------------------------------------------------


def test_whitespace_comments_urls_and_display_names() -> None:
    text = (
        "# Saksi demo policy\n"
        f"  \tlog\t{LOG.vkey}   https://log.example/tlog/  \n"
        "   # name: Ombudsman RI  \n"
        f"witness ombudsman {W['X1'].vkey} https://w1.example/\n"
        "# name: BPK\n"
        "\n"
        f"witness bpk {W['X2'].vkey}\n"
        "# name: Universitas Indonesia\n"
        "# another comment\n"
        f"witness ui {W['X3'].vkey}\n"
        "#name:Kelvin \u212a\n"
        f"witness k {W['Y1'].vkey}\n"
        " \t \n"
        "group demo 2 ombudsman bpk ui k\n"
        "quorum demo\n"
    )
    policy = Policy.parse(text)
    assert policy.logs == (PolicyLog(LOG.vkey, "https://log.example/tlog/"),)
    ombudsman, bpk, ui, k = policy.witnesses
    assert (ombudsman.label, ombudsman.display_name, ombudsman.url) == (
        "Ombudsman RI",
        "Ombudsman RI",
        "https://w1.example/",
    )
    assert (bpk.label, bpk.display_name) == (None, "x2.witness.example")  # a blank line separates them
    assert (ui.label, ui.display_name) == (None, "x3.witness.example")  # not directly above
    assert k.display_name == "Kelvin \u212a"
    assert policy.witness("ombudsman") == ombudsman
    assert policy.witness("none") is None
    assert Policy.parse(policy.serialize()) == policy
    assert "# name: Ombudsman RI\nwitness ombudsman " in policy.serialize()


def test_quorum_none_and_single_witness() -> None:
    policy = Policy.parse(f"log {LOG.vkey}\nwitness w {W['X1'].vkey}\nquorum none\n")
    assert policy.quorum == "none" and policy.quorum_met([])
    assert Policy.parse("quorum none\n") == Policy((), (), (), "none")
    single = Policy.parse(f"witness w {W['X1'].vkey}\nquorum w\n")
    assert single.quorum_met(["w"]) and not single.quorum_met([])
    assert Policy.parse(f"witness w {W['X1'].vkey}\nquorum w\nlog {LOG.vkey}\n").logs  # lines after the quorum


def test_names_are_opaque_octet_strings() -> None:
    policy = Policy.parse(f"witness K {W['X1'].vkey}\nwitness \u212a {W['X2'].vkey}\ngroup g all K \u212a\nquorum g\n")
    assert [w.name for w in policy.witnesses] == ["K", "\u212a"]
    assert not policy.quorum_met(["K"]) and policy.quorum_met(["K", "\u212a"])


def _refused(text: str | bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        Policy.parse(text)
    assert caught.value.message == message


def _key(name: str) -> str:
    return str(W[name].vkey)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "policy: must have a quorum line"),
        ("# only a comment\n", "policy: must have a quorum line"),
        ("quorum none", "policy line 1: must end with a newline"),
        ("quorum none\nquorum none\n", "policy line 2: a second quorum line"),
        ("quorum\n", "policy line 1: must be 'quorum <name>'"),
        ("quorum a b\n", "policy line 1: must be 'quorum <name>'"),
        ("quorum w\n", "policy line 1: quorum 'w' is not defined on a preceding line"),
        (f"quorum w\nwitness w {_key('X1')}\n", "policy line 1: quorum 'w' is not defined on a preceding line"),
        ("Quorum none\n", "policy line 1: unknown keyword 'Quorum' (log, witness, group or quorum)"),
        ("quorum none\r\n", "policy line 1: contains the forbidden octet 0x0d"),
        ("quorum\x0bnone\n", "policy line 1: contains the forbidden octet 0x0b"),
        ("# \x7f\nquorum none\n", "policy line 1: contains the forbidden octet 0x7f"),
        (b"# \xff\nquorum none\n", "policy line 1: must be valid UTF-8"),
        ("quorum none\x00\n", "policy line 1: contains the forbidden octet 0x00"),
        (f"log {LOG.vkey} url extra\nquorum none\n", "policy line 1: must be 'log <vkey> [<url>]'"),
        ("log\nquorum none\n", "policy line 1: must be 'log <vkey> [<url>]'"),
        ("log example.com+0+AA==\nquorum none\n", "policy line 1: vkey.keyId: must be 8 lower-case hex digits"),
        (f"log {_key('X1')}\nquorum none\n", "policy line 1: a log key must have signature type 0x01, not 0x04"),
        (
            f"log {LOG.vkey}\nlog {Vkey.ed25519('other.example', LOG.vkey.public_key)}\nquorum none\n",
            "policy line 2: duplicate log key",
        ),
        (
            f"witness w {LOG.vkey}\nquorum none\n",
            "policy line 1: a witness key must have signature type 0x04, not 0x01",
        ),
        ("witness w\nquorum none\n", "policy line 1: must be 'witness <name> <vkey> [<url>]'"),
        (f"witness w {_key('X1')} u x\nquorum none\n", "policy line 1: must be 'witness <name> <vkey> [<url>]'"),
        (f"witness none {_key('X1')}\nquorum none\n", "policy line 1: the name 'none' is predefined"),
        (
            f"witness w {_key('X1')}\nwitness w {_key('X2')}\nquorum none\n",
            "policy line 2: the name 'w' is already defined",
        ),
        (
            f"witness a {_key('X1')}\nwitness b {Vkey.cosigner('other.example', W['X1'].vkey.public_key)}\nquorum none\n",
            "policy line 2: duplicate witness key",
        ),
        (f"witness a {_key('X1')}\ngroup a any a\nquorum none\n", "policy line 2: the name 'a' is already defined"),
        (
            f"witness a {_key('X1')}\ngroup g any a\ngroup g any g\nquorum none\n",
            "policy line 3: the name 'g' is already defined",
        ),
        (
            f"witness a {_key('X1')}\ngroup g any a\ngroup h any g\ngroup i any g\nquorum none\n",
            "policy line 4: 'g' is already listed as a group member",
        ),
        (
            f"witness a {_key('X1')}\ngroup g any g\nquorum none\n",
            "policy line 2: member 'g' is not defined on a preceding line",
        ),
        (
            f"witness a {_key('X1')}\nwitness b {_key('X2')}\ngroup g any a\ngroup g all b\nquorum none\n",
            "policy line 4: the name 'g' is already defined",
        ),
        (
            f"witness a {_key('X1')}\ngroup g any\nquorum none\n",
            "policy line 2: must be 'group <name> all|any|<k> <member>...'",
        ),
        (
            f"witness a {_key('X1')}\ngroup g a\nquorum none\n",
            "policy line 2: must be 'group <name> all|any|<k> <member>...'",
        ),
        (f"witness a {_key('X1')}\ngroup none any a\nquorum none\n", "policy line 2: the name 'none' is predefined"),
        (
            f"witness a {_key('X1')}\ngroup g any a none\nquorum none\n",
            "policy line 2: 'none' cannot be a group member",
        ),
        (
            f"witness a {_key('X1')}\ngroup g any b\nquorum none\n",
            "policy line 2: member 'b' is not defined on a preceding line",
        ),
        (
            f"group g any a\nwitness a {_key('X1')}\nquorum none\n",
            "policy line 1: member 'a' is not defined on a preceding line",
        ),
        (
            f"witness a {_key('X1')}\ngroup g any a a\nquorum none\n",
            "policy line 2: 'a' is already listed as a group member",
        ),
        (
            f"witness a {_key('X1')}\ngroup g any a\ngroup h any a\nquorum none\n",
            "policy line 3: 'a' is already listed as a group member",
        ),
        (f"witness a {_key('X1')}\ngroup g 0 a\nquorum none\n", "policy line 2: threshold must be between 1 and 1"),
        (f"witness a {_key('X1')}\ngroup g 2 a\nquorum none\n", "policy line 2: threshold must be between 1 and 1"),
        (
            f"witness a {_key('X1')}\ngroup g 01 a\nquorum none\n",
            "policy line 2: threshold must be all, any or a decimal number",
        ),
        (
            f"witness a {_key('X1')}\ngroup g -1 a\nquorum none\n",
            "policy line 2: threshold must be all, any or a decimal number",
        ),
        (
            f"witness a {_key('X1')}\ngroup g ALL a\nquorum none\n",
            "policy line 2: threshold must be all, any or a decimal number",
        ),
        (
            f"witness a {_key('X1')}\ngroup g \u0661 a\nquorum none\n",
            "policy line 2: threshold must be all, any or a decimal number",
        ),
        ("\u3000quorum none\n", "policy line 1: unknown keyword '\\u3000quorum' (log, witness, group or quorum)"),
        ("quorum\u00a0none\n", "policy line 1: unknown keyword 'quorum\\xa0none' (log, witness, group or quorum)"),
        ("\ud800\n", "policy: must be valid UTF-8"),
    ],
)
def test_refuses(text: str | bytes, message: str) -> None:
    _refused(text, message)


def test_limits() -> None:
    seeds = [Cosigner(f"w{i}.example", seed(f"w{i}")) for i in range(MAX_WITNESSES + 1)]
    witnesses = "".join(f"witness w{i} {c.vkey}\n" for i, c in enumerate(seeds))
    _refused(witnesses + "quorum none\n", f"policy line {MAX_WITNESSES + 1}: more than {MAX_WITNESSES} witnesses")
    ok = Policy.parse(witnesses.rsplit("witness", 1)[0] + "quorum none\n")
    assert len(ok.witnesses) == MAX_WITNESSES >= 32
    groups = "".join(f"group g{i} any w{i}\n" for i in range(MAX_GROUPS + 1))
    witnesses = witnesses.rsplit("witness", 1)[0]
    _refused(
        witnesses + groups + "quorum none\n",
        f"policy line {MAX_WITNESSES + MAX_GROUPS + 1}: more than {MAX_GROUPS} groups",
    )
    logs = "".join(f"log {NoteSigner(f'l{i}.example', seed(f'l{i}')).vkey}\n" for i in range(MAX_LOGS + 1))
    _refused(logs + "quorum none\n", f"policy line {MAX_LOGS + 1}: more than {MAX_LOGS} logs")
    assert MAX_LOGS >= 32 and MAX_GROUPS >= 32
    with pytest.raises(TooLarge, match="^policy: must be at most 262144 bytes$"):
        Policy.parse("#" * (256 * 1024) + "\nquorum none\n")
    with pytest.raises(InvalidField, match="^policy: must be text$"):
        Policy.parse(None)  # type: ignore[arg-type]


# --- checking a checkpoint ------------------------------------------------------------------


def test_check_checkpoint_quorum_met() -> None:
    policy = Policy.parse(spec_example())
    checked = check_checkpoint(policy, cosigned("X1", "Y2", "X3"))
    assert checked == CheckedCheckpoint(
        Checkpoint.from_text(CHECKPOINT),
        LOG.vkey,
        (Cosigning("X1", TIME), Cosigning("Y2", TIME + 1), Cosigning("X3", TIME + 2)),
        True,
    )


def test_check_checkpoint_quorum_not_met_and_unknown_cosigners_ignored() -> None:
    policy = Policy.parse(spec_example())
    stranger = Cosigner("stranger.example", seed("stranger")).cosign(CHECKPOINT, TIME)
    checked = check_checkpoint(policy, cosigned("X1", "X2").with_signatures([stranger]))
    assert checked.cosigned_by == (Cosigning("X1", TIME), Cosigning("X2", TIME + 1))
    assert checked.quorum_met is False
    assert check_checkpoint(policy, cosigned()).cosigned_by == ()


def test_check_checkpoint_refuses_bad_log_signatures() -> None:
    policy = Policy.parse(spec_example())
    other_log = NoteSigner(ORIGIN, seed("other log"))
    with pytest.raises(VerificationFailed, match=f"^checkpoint: no signature by the log {ORIGIN}$"):
        check_checkpoint(policy, Note(CHECKPOINT, (other_log.sign(CHECKPOINT), W["X1"].cosign(CHECKPOINT, TIME))))
    forged = NoteSignature(ORIGIN, LOG.vkey.key_id, bytes(64))
    with pytest.raises(VerificationFailed, match=r"^signature by saksi/eip155:31337/0x5fbd.*\+.* does not verify$"):
        check_checkpoint(policy, Note(CHECKPOINT, (forged,)))
    elsewhere = CHECKPOINT.replace(ORIGIN, "other.example/log")
    with pytest.raises(
        VerificationFailed, match="^checkpoint: the origin other.example/log is not a log of the policy$"
    ):
        check_checkpoint(policy, Note(elsewhere, (NoteSigner("other.example/log", seed("o")).sign(elsewhere),)))
    with pytest.raises(InvalidField, match="^checkpoint: must have exactly three lines"):
        check_checkpoint(policy, Note(CHECKPOINT + "ext\n", (LOG.sign(CHECKPOINT + "ext\n"),)))


def test_check_checkpoint_refuses_a_bad_cosignature_of_a_known_witness() -> None:
    policy = Policy.parse(spec_example())
    good = W["Y1"].cosign(CHECKPOINT, TIME)
    replayed = NoteSignature(good.name, good.key_id, (TIME + 1).to_bytes(8, "big") + good.signature[8:])
    with pytest.raises(VerificationFailed, match=r"^signature by y1.witness.example\+.* does not verify$"):
        check_checkpoint(policy, cosigned("X1", "X2").with_signatures([replayed]))
    other_checkpoint = CHECKPOINT.replace("\n3\n", "\n4\n")
    moved = W["X3"].cosign(other_checkpoint, TIME)
    with pytest.raises(VerificationFailed, match=r"^signature by x3.witness.example\+"):
        check_checkpoint(policy, cosigned("X1", "Y1").with_signatures([moved]))


def test_quorum_none_accepts_a_log_signature_alone() -> None:
    policy = Policy.parse(f"log {LOG.vkey}\nquorum none\n")
    checked = check_checkpoint(policy, cosigned())
    assert (checked.log, checked.cosigned_by, checked.quorum_met) == (LOG.vkey, (), True)
