"""C2SP transparency log policies (c2sp.org/tlog-policy) and checking a cosigned checkpoint against one.

A policy lists the logs (`log <vkey> [url]`), the witnesses (`witness <name> <vkey> [url]`), groups of
them (`group <name> all|any|<k> <member>…`) and the one `quorum` that decides whether the witnesses that
cosigned a checkpoint are enough. Saksi adds one convention the spec leaves open: a comment line
`# name: <display name>` directly above a witness line gives that witness a name for people
("Ombudsman RI"); without it the witness is shown by its key name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from ledger.core.checkpoint import Checkpoint
from ledger.core.note import SIG_COSIGNATURE_V1, SIG_ED25519, Note, Vkey, verify_signatures
from ledger.errors import InvalidField, InvalidInput, TooLarge, VerificationFailed

NONE = "none"
#: The spec asks implementations to support at least 32 of each.
MAX_LOGS = 64
MAX_WITNESSES = 64
MAX_GROUPS = 64
MAX_POLICY_BYTES = 256 * 1024
DISPLAY_NAME_COMMENT = "name:"

_WHITESPACE = re.compile(r"[ \t]+")
_THRESHOLD = re.compile(r"[0-9]+")
# 0x09, 0x0A, 0x20-0x7E and 0x80-0xFF only (tlog-policy "Character set")
_FORBIDDEN_OCTET = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class PolicyLog:
    vkey: Vkey
    url: str | None = None


@dataclass(frozen=True, slots=True)
class PolicyWitness:
    name: str  # the policy's name for it, used only inside the policy
    vkey: Vkey
    url: str | None = None
    label: str | None = None  # Saksi's `# name: …` comment above the witness line

    @property
    def display_name(self) -> str:
        """What people are shown: the `# name:` label, else the key name."""
        return self.label or self.vkey.name


@dataclass(frozen=True, slots=True)
class PolicyGroup:
    name: str
    threshold: int  # k of `group <name> <k> …`; `any` is 1 and `all` is len(members)
    members: tuple[str, ...]


class Cosigning(NamedTuple):
    witness: str  # the policy name of the witness
    timestamp: int


@dataclass(frozen=True, slots=True)
class CheckedCheckpoint:
    checkpoint: Checkpoint
    log: Vkey
    cosigned_by: tuple[Cosigning, ...]  # in note order
    quorum_met: bool


def _threshold_word(group: PolicyGroup) -> str:
    if group.threshold == len(group.members):
        return "all"
    return "any" if group.threshold == 1 else str(group.threshold)


@dataclass(frozen=True, slots=True)
class Policy:
    """Build with :meth:`Policy.parse`, which enforces every rule of the spec."""

    logs: tuple[PolicyLog, ...]
    witnesses: tuple[PolicyWitness, ...]
    groups: tuple[PolicyGroup, ...]
    quorum: str
    #: SHA-256 of the file's bytes as parsed: what names this policy in storage ("witnessed under which
    #: policy"); b"" for a policy built by hand. Not part of equality: two files may parse alike.
    digest: bytes = field(default=b"", compare=False)

    @classmethod
    def parse(cls, text: str | bytes) -> Policy:
        return _Parser().parse(text)

    def serialize(self) -> str:
        """Logs, witnesses (with their `# name:` labels), groups and the quorum; parses back to an equal policy."""
        lines = [f"log {log.vkey}" + (f" {log.url}" if log.url else "") for log in self.logs]
        for witness in self.witnesses:
            if witness.label:
                lines.append(f"# {DISPLAY_NAME_COMMENT} {witness.label}")
            lines.append(f"witness {witness.name} {witness.vkey}" + (f" {witness.url}" if witness.url else ""))
        lines += [f"group {g.name} {_threshold_word(g)} {' '.join(g.members)}" for g in self.groups]
        lines.append(f"quorum {self.quorum}")
        return "".join(line + "\n" for line in lines)

    def witness(self, name: str) -> PolicyWitness | None:
        return next((w for w in self.witnesses if w.name == name), None)

    def log_for(self, origin: str) -> Vkey | None:
        """The first log whose key name is `origin` (a log's key name is its origin)."""
        return next((log.vkey for log in self.logs if log.vkey.name == origin), None)

    def quorum_met(self, witness_names: Iterable[str]) -> bool:
        """Whether witnesses with these policy names, having cosigned, satisfy the quorum."""
        if self.quorum == NONE:
            return True
        cosigned = set(witness_names)
        groups = {group.name: group for group in self.groups}

        def witnessed(name: str) -> bool:
            group = groups.get(name)
            if group is None:
                return name in cosigned
            return sum(witnessed(member) for member in group.members) >= group.threshold

        return witnessed(self.quorum)


def policy_digest(text: str | bytes) -> bytes:
    """What names a policy in storage: SHA-256 of the file's bytes (the witnessing worker marks a
    checkpoint witnessed under it; the audit checks those marks against the same policy)."""
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).digest()


class _Parser:
    def __init__(self) -> None:
        self.logs: list[PolicyLog] = []
        self.witnesses: list[PolicyWitness] = []
        self.groups: list[PolicyGroup] = []
        self.quorum: str | None = None
        self.defined: set[str] = set()
        self.members: set[str] = set()
        self.line = 0

    def fail(self, rule: str) -> InvalidField:
        return InvalidField(f"policy line {self.line}", rule)

    def parse(self, text: str | bytes) -> Policy:
        if isinstance(text, str):
            try:
                text = text.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidField("policy", "must be valid UTF-8") from None
        if not isinstance(text, bytes):
            raise InvalidField("policy", "must be text")
        if len(text) > MAX_POLICY_BYTES:
            raise TooLarge(f"policy: must be at most {MAX_POLICY_BYTES} bytes", field="policy")
        raw_lines = text.split(b"\n")
        label: str | None = None
        for self.line, raw in enumerate(raw_lines, 1):
            if self.line == len(raw_lines):
                if raw:
                    raise self.fail("must end with a newline")
                break
            bad = _FORBIDDEN_OCTET.search(raw)
            if bad:
                raise self.fail(f"contains the forbidden octet 0x{bad.group()[0]:02x}")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise self.fail("must be valid UTF-8") from None
            stripped = line.strip(" \t")
            if stripped.startswith("#"):
                comment = stripped[1:].strip(" \t")
                if comment.startswith(DISPLAY_NAME_COMMENT):
                    label = comment[len(DISPLAY_NAME_COMMENT) :].strip(" \t") or None
                else:
                    label = None
                continue
            if stripped:
                self.statement(_WHITESPACE.split(stripped), label)
            label = None
        if self.quorum is None:
            raise InvalidField("policy", "must have a quorum line")
        return Policy(tuple(self.logs), tuple(self.witnesses), tuple(self.groups), self.quorum, policy_digest(text))

    def statement(self, tokens: list[str], label: str | None) -> None:
        keyword, args = tokens[0], tokens[1:]
        if keyword == "log":
            self.log(args)
        elif keyword == "witness":
            self.witness(args, label)
        elif keyword == "group":
            self.group(args)
        elif keyword == "quorum":
            self.quorum_line(args)
        else:
            raise self.fail(f"unknown keyword {keyword!r} (log, witness, group or quorum)")

    def vkey(self, text: str, sig_type: int, what: str) -> Vkey:
        try:
            vkey = Vkey.parse(text)
        except InvalidInput as exc:
            raise self.fail(exc.message) from None
        if vkey.sig_type != sig_type:
            raise self.fail(f"{what} key must have signature type 0x{sig_type:02x}, not 0x{vkey.sig_type:02x}")
        return vkey

    def new_name(self, name: str) -> str:
        """Check that `name` may be defined; the caller defines it once the whole line is valid."""
        if name == NONE:
            raise self.fail("the name 'none' is predefined")
        if name in self.defined:
            raise self.fail(f"the name {name!r} is already defined")
        return name

    def log(self, args: list[str]) -> None:
        if len(args) not in (1, 2):
            raise self.fail("must be 'log <vkey> [<url>]'")
        vkey = self.vkey(args[0], SIG_ED25519, "a log")
        if any(log.vkey.public_key == vkey.public_key for log in self.logs):
            raise self.fail("duplicate log key")
        if len(self.logs) == MAX_LOGS:
            raise self.fail(f"more than {MAX_LOGS} logs")
        self.logs.append(PolicyLog(vkey, args[1] if len(args) == 2 else None))

    def witness(self, args: list[str], label: str | None) -> None:
        if len(args) not in (2, 3):
            raise self.fail("must be 'witness <name> <vkey> [<url>]'")
        vkey = self.vkey(args[1], SIG_COSIGNATURE_V1, "a witness")
        if any(w.vkey.public_key == vkey.public_key for w in self.witnesses):
            raise self.fail("duplicate witness key")
        if len(self.witnesses) == MAX_WITNESSES:
            raise self.fail(f"more than {MAX_WITNESSES} witnesses")
        name = self.new_name(args[0])
        self.defined.add(name)
        self.witnesses.append(PolicyWitness(name, vkey, args[2] if len(args) == 3 else None, label))

    def group(self, args: list[str]) -> None:
        if len(args) < 3:
            raise self.fail("must be 'group <name> all|any|<k> <member>...'")
        if len(self.groups) == MAX_GROUPS:
            raise self.fail(f"more than {MAX_GROUPS} groups")
        name, word, members = self.new_name(args[0]), args[1], args[2:]
        for member in members:
            if member == NONE:
                raise self.fail("'none' cannot be a group member")
            if member not in self.defined:
                raise self.fail(f"member {member!r} is not defined on a preceding line")
            if member in self.members:
                raise self.fail(f"{member!r} is already listed as a group member")
            self.members.add(member)
        if word == "all":
            threshold = len(members)
        elif word == "any":
            threshold = 1
        elif _THRESHOLD.fullmatch(word) and (word == "0" or not word.startswith("0")):
            threshold = int(word)
            if not 1 <= threshold <= len(members):
                raise self.fail(f"threshold must be between 1 and {len(members)}")
        else:
            raise self.fail("threshold must be all, any or a decimal number")
        self.defined.add(name)
        self.groups.append(PolicyGroup(name, threshold, tuple(members)))

    def quorum_line(self, args: list[str]) -> None:
        if len(args) != 1:
            raise self.fail("must be 'quorum <name>'")
        if self.quorum is not None:
            raise self.fail("a second quorum line")
        if args[0] != NONE and args[0] not in self.defined:
            raise self.fail(f"quorum {args[0]!r} is not defined on a preceding line")
        self.quorum = args[0]


def check_checkpoint(policy: Policy, note: Note) -> CheckedCheckpoint:
    """Check a signed, possibly cosigned checkpoint note against a policy (c2sp.org/tlog-policy).

    1. The note text is a Saksi checkpoint (FORMATS §9.1).
    2. A policy log whose key name is the checkpoint's origin signed it (VerificationFailed if none or bad).
    3. Every cosignature by a policy witness verifies (VerificationFailed naming the witness key if not);
       cosignatures of other keys are ignored.
    4. The quorum is evaluated over the witnesses whose cosignatures verified.
    """
    checkpoint = Checkpoint.from_text(note.text)
    logs = [log.vkey for log in policy.logs if log.vkey.name == checkpoint.origin]
    if not logs:
        raise VerificationFailed(
            f"checkpoint: the origin {checkpoint.origin} is not a log of the policy", origin=checkpoint.origin
        )
    signed = verify_signatures(note, logs)
    if not signed:
        raise VerificationFailed(f"checkpoint: no signature by the log {checkpoint.origin}", origin=checkpoint.origin)
    by_key = {(w.vkey.name, w.vkey.key_id): w.name for w in policy.witnesses}
    cosigned = verify_signatures(note, [w.vkey for w in policy.witnesses])
    cosigned_by = tuple(Cosigning(by_key[(v.vkey.name, v.vkey.key_id)], v.timestamp or 0) for v in cosigned)
    return CheckedCheckpoint(checkpoint, signed[0].vkey, cosigned_by, policy.quorum_met(c.witness for c in cosigned_by))
