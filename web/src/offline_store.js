// The last verified copy of a case, kept in this browser (IndexedDB) so that the page can open it and
// verify it again with no network, saying how old it is. It is encrypted with a key derived from the
// case's own key (AES-GCM, the key from HKDF-SHA-256 over the case key): on a shared phone or an
// internet café's computer, only someone holding the access code can read it. Stored under the case
// commitment, which names nothing. Nothing is kept where the browser offers no IndexedDB or WebCrypto.

const DB = 'saksi';
const STORE = 'cases';
const INFO = new TextEncoder().encode('saksi/offline-case/v1');

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function transact(mode, action) {
  return openDb().then(
    (db) =>
      new Promise((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const request = action(tx.objectStore(STORE));
        tx.oncomplete = () => {
          db.close();
          resolve(request.result);
        };
        tx.onerror = () => {
          db.close();
          reject(tx.error);
        };
      }),
  );
}

async function aesKey(caseKey) {
  const material = await crypto.subtle.importKey('raw', caseKey, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info: INFO }, material, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

const available = () => typeof indexedDB !== 'undefined' && Boolean(globalThis.crypto?.subtle);

/** Keep `data` (JSON-able: what the page fetched and when) for the case; false when it could not. */
export async function saveCase(caseKey, commitment, data) {
  if (!available()) return false;
  try {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const plain = new TextEncoder().encode(JSON.stringify(data));
    const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(commitment) }, await aesKey(caseKey), plain);
    await transact('readwrite', (store) => store.put({ iv, sealed: new Uint8Array(sealed) }, commitment));
    return true;
  } catch {
    return false;
  }
}

/** The case's kept copy, or null (none, another key, or storage unavailable). */
export async function loadCase(caseKey, commitment) {
  if (!available()) return null;
  try {
    const row = await transact('readonly', (store) => store.get(commitment));
    if (!row) return null;
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: row.iv, additionalData: new TextEncoder().encode(commitment) }, await aesKey(caseKey), row.sealed);
    return JSON.parse(new TextDecoder().decode(plain));
  } catch {
    return null;
  }
}
