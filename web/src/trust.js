// What this page last saw online and checks offline against: the server's witness policy, log key and
// domain (GET /v1/info) and the agency registry (GET /v1/agencies), with when it saw them. Kept in this
// browser (localStorage) so that a receipt can be checked with no network (receipt_check.js); the page
// always says how old it is. Only public data: no case, reference or access code is ever stored here.

const KEY = 'saksi.trust.v1';

export function saveTrust(info, agencies) {
  const trust = {
    info: { logVkey: info.logVkey ?? null, witnessPolicy: info.witnessPolicy ?? null, eip712Domain: info.eip712Domain, origin: info.origin ?? null },
    agencies: (agencies ?? []).map((a) => ({ code: a.code, name: a.name, signer: a.signer ?? null, signers: a.signers ?? [] })),
    savedAt: Date.now(),
  };
  try {
    globalThis.localStorage?.setItem(KEY, JSON.stringify(trust));
  } catch {
    /* storage full or disabled: receipts then need the network */
  }
  return trust;
}

export function loadTrust() {
  try {
    const text = globalThis.localStorage?.getItem(KEY);
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}
