// C2SP transparency log policies (c2sp.org/tlog-policy): the logs a verifier accepts, the witnesses
// it knows and the quorum of them that must have cosigned a checkpoint. The counterpart of
// ledger/core/policy.py.
//
// Saksi's convention for a witness's display name (tlog-policy has none): a comment line
// `# name: Ombudsman RI` directly above its `witness` line (FORMATS, signed notes section).

import { parseCheckpointText } from './checkpoint.js';
import { utf8 } from './bytes.js';
import { InvalidField, InvalidInput, TooLarge, VerificationFailed } from './errors.js';
import { SIG_COSIGNATURE_V1, SIG_ED25519, parseVkey, verifySignatures, vkeyToString } from './note.js';

// The spec asks implementations to support at least 32 of each.
export const MAX_LOGS = 64;
export const MAX_WITNESSES = 64;
export const MAX_GROUPS = 64;
export const MAX_POLICY_BYTES = 256 * 1024;
const DISPLAY_NAME = 'name:';
const DECODER = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const sameKey = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const strip = (text) => text.replace(/^[ \t]+|[ \t]+$/g, '');

/** Parse a policy file (a string or UTF-8 bytes); InvalidField errors name the line ("policy line N"). */
export function parsePolicy(data) {
  let bytes = data;
  if (typeof data === 'string') {
    for (const ch of data) {
      const code = ch.codePointAt(0);
      if (code >= 0xd800 && code <= 0xdfff) throw new InvalidField('policy', 'must be valid UTF-8');
    }
    bytes = utf8(data);
  }
  if (!(bytes instanceof Uint8Array)) throw new InvalidField('policy', 'must be text');
  if (bytes.length > MAX_POLICY_BYTES) throw new TooLarge(`policy: must be at most ${MAX_POLICY_BYTES} bytes`, { field: 'policy' });
  const rawLines = [];
  let from = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      rawLines.push(bytes.subarray(from, i));
      from = i + 1;
    }
  }
  const logs = [];
  const witnesses = [];
  const groups = [];
  const defined = new Set();
  const listed = new Set();
  let quorum = null;
  let label = null;
  rawLines.forEach((raw, i) => {
    const lineNo = i + 1;
    const fail = (rule) => new InvalidField(`policy line ${lineNo}`, rule);
    if (lineNo === rawLines.length) {
      if (raw.length) throw fail('must end with a newline');
      return;
    }
    const bad = raw.find((c) => (c < 0x20 && c !== 0x09 && c !== 0x0a) || c === 0x7f);
    if (bad !== undefined) throw fail(`contains the forbidden octet 0x${bad.toString(16).padStart(2, '0')}`);
    let line;
    try {
      line = DECODER.decode(raw);
    } catch {
      throw fail('must be valid UTF-8');
    }
    const stripped = strip(line);
    if (stripped.startsWith('#')) {
      const comment = strip(stripped.slice(1));
      label = comment.startsWith(DISPLAY_NAME) ? strip(comment.slice(DISPLAY_NAME.length)) || null : null;
      return;
    }
    const above = label;
    label = null;
    if (!stripped) return;
    const [keyword, ...args] = stripped.split(/[ \t]+/);
    const vkeyOf = (text, sigType, what) => {
      let vkey;
      try {
        vkey = parseVkey(text);
      } catch (err) {
        if (err instanceof InvalidInput) throw fail(err.message);
        throw err;
      }
      if (vkey.sigType !== sigType) throw fail(`${what} key must have signature type 0x0${sigType}, not 0x${vkey.sigType.toString(16).padStart(2, '0')}`);
      return vkey;
    };
    const newName = (name) => {
      if (name === 'none') throw fail("the name 'none' is predefined");
      if (defined.has(name)) throw fail(`the name '${name}' is already defined`);
      defined.add(name);
      return name;
    };
    if (keyword === 'log') {
      if (args.length < 1 || args.length > 2) throw fail("must be 'log <vkey> [<url>]'");
      const vkey = vkeyOf(args[0], SIG_ED25519, 'a log');
      if (logs.some((l) => sameKey(l.vkey.publicKey, vkey.publicKey))) throw fail('duplicate log key');
      if (logs.length === MAX_LOGS) throw fail(`more than ${MAX_LOGS} logs`);
      logs.push({ vkey, url: args[1] ?? null });
    } else if (keyword === 'witness') {
      if (args.length < 2 || args.length > 3) throw fail("must be 'witness <name> <vkey> [<url>]'");
      const vkey = vkeyOf(args[1], SIG_COSIGNATURE_V1, 'a witness');
      if (witnesses.some((w) => sameKey(w.vkey.publicKey, vkey.publicKey))) throw fail('duplicate witness key');
      if (witnesses.length === MAX_WITNESSES) throw fail(`more than ${MAX_WITNESSES} witnesses`);
      const name = newName(args[0]);
      witnesses.push({ name, vkey, url: args[2] ?? null, label: above, displayName: above ?? vkey.name });
    } else if (keyword === 'group') {
      if (args.length < 3) throw fail("must be 'group <name> all|any|<k> <member>...'");
      if (groups.length === MAX_GROUPS) throw fail(`more than ${MAX_GROUPS} groups`);
      const [name, word, ...members] = args;
      for (const m of members) {
        if (m === 'none') throw fail("'none' cannot be a group member");
        if (!defined.has(m)) throw fail(`member '${m}' is not defined on a preceding line`);
        if (listed.has(m)) throw fail(`'${m}' is already listed as a group member`);
        listed.add(m);
      }
      let threshold;
      if (word === 'all') threshold = members.length;
      else if (word === 'any') threshold = 1;
      else if (/^(?:0|[1-9][0-9]*)$/.test(word)) {
        threshold = Number(word);
        if (!(threshold >= 1 && threshold <= members.length)) throw fail(`threshold must be between 1 and ${members.length}`);
      } else throw fail('threshold must be all, any or a decimal number');
      groups.push({ name: newName(name), threshold, members });
    } else if (keyword === 'quorum') {
      if (args.length !== 1) throw fail("must be 'quorum <name>'");
      if (quorum !== null) throw fail('a second quorum line');
      if (args[0] !== 'none' && !defined.has(args[0])) throw fail(`quorum '${args[0]}' is not defined on a preceding line`);
      quorum = args[0];
    } else {
      throw fail(`unknown keyword '${keyword}' (log, witness, group or quorum)`);
    }
  });
  if (quorum === null) throw new InvalidField('policy', 'must have a quorum line');
  return { logs, witnesses, groups, quorum };
}

/** Whether the witnesses named have cosigned enough for the policy's quorum. */
export function quorumMet(policy, witnessNames) {
  const cosigned = new Set(witnessNames);
  const groups = new Map(policy.groups.map((g) => [g.name, g]));
  const met = (name) => {
    if (name === 'none') return true;
    const group = groups.get(name);
    if (!group) return cosigned.has(name);
    return group.members.filter(met).length >= group.threshold;
  };
  return met(policy.quorum);
}

/** The fewest witnesses whose cosignatures meet the quorum (0 for `quorum none`). */
export function quorumSize(policy) {
  const groups = new Map(policy.groups.map((g) => [g.name, g]));
  const size = (name) => {
    if (name === 'none') return 0;
    const group = groups.get(name);
    if (!group) return 1;
    const sizes = group.members.map(size).sort((a, b) => a - b);
    return sizes.slice(0, group.threshold).reduce((a, b) => a + b, 0);
  };
  return size(policy.quorum);
}

/** The policy's log key whose name is this origin, or null. */
export const logFor = (policy, origin) => policy.logs.find((l) => l.vkey.name === origin)?.vkey ?? null;

const thresholdWord = (g) => (g.threshold === g.members.length ? 'all' : g.threshold === 1 ? 'any' : String(g.threshold));

/** Logs, witnesses (with their `# name:` labels), groups and the quorum; parses back to an equal policy. */
export function serializePolicy(policy) {
  const lines = policy.logs.map((l) => `log ${vkeyToString(l.vkey)}${l.url ? ` ${l.url}` : ''}`);
  for (const w of policy.witnesses) {
    if (w.label) lines.push(`# ${DISPLAY_NAME} ${w.label}`);
    lines.push(`witness ${w.name} ${vkeyToString(w.vkey)}${w.url ? ` ${w.url}` : ''}`);
  }
  for (const g of policy.groups) lines.push(`group ${g.name} ${thresholdWord(g)} ${g.members.join(' ')}`);
  lines.push(`quorum ${policy.quorum}`);
  return lines.map((l) => `${l}\n`).join('');
}

/**
 * Check a signed, possibly cosigned checkpoint note against a policy, as ledger/core/policy.py's
 * check_checkpoint: the note text is a Saksi checkpoint; a policy log whose key name is its origin
 * signed it (VerificationFailed if none or bad); every cosignature by a policy witness verifies
 * (VerificationFailed naming the witness key if not; other keys are ignored); the quorum over those.
 * Returns {checkpoint, log, cosignedBy: [{name, displayName, timestamp}] in note order, quorumMet}.
 */
export function checkCheckpoint(policy, note) {
  const checkpoint = parseCheckpointText(note.text);
  const logs = policy.logs.filter((l) => l.vkey.name === checkpoint.origin).map((l) => l.vkey);
  if (!logs.length) throw new VerificationFailed(`checkpoint: the origin ${checkpoint.origin} is not a log of the policy`, { origin: checkpoint.origin });
  const signed = verifySignatures(note, logs);
  if (!signed.length) throw new VerificationFailed(`checkpoint: no signature by the log ${checkpoint.origin}`, { origin: checkpoint.origin });
  const byKey = new Map(policy.witnesses.map((w) => [`${w.vkey.name}\n${w.vkey.keyId}`, w]));
  const cosigned = verifySignatures(
    note,
    policy.witnesses.map((w) => w.vkey),
  );
  const cosignedBy = cosigned.map((v) => {
    const w = byKey.get(`${v.vkey.name}\n${v.vkey.keyId}`);
    return { name: w.name, displayName: w.displayName, timestamp: v.timestamp ?? 0n };
  });
  return { checkpoint, log: signed[0].vkey, cosignedBy, quorumMet: quorumMet(policy, cosignedBy.map((c) => c.name)) };
}
