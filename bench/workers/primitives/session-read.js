// bare + reading a Rails session cookie (AES-256-GCM under a key derived once, envelope, JSON): sticky "session:user_id".
const SECRET_KEY_BASE = "cutover-test-secret-key-base-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
// fixtures/rails-session/cookies.json's user42, a cookie Rails 6.1 made.
const COOKIE = "QXhMQJ1r6V25uMRfuyt1ggXSXMatRoFg4YMuWUUh9eUEUlZ3eL1WI78Ct2UWQqnrUhM56yvS6mGMcK%2FWVSQMYYfXzjzOa7vFsV9p2Hvcg9Zblnv31hlcuQNDRiaKoszCe9C7wkte7U%2FEyuWF%2FpbBCerN3G6B8pD9zZ2hazvxO69Wu67wMEmfdfhLqbgXYsu7nQjqE1sn9he%2F4orWlRFS%2Fg%3D%3D--OocmrGcrD%2BNTeCO3--7H4DhZhsDjIut%2BF7NkHUcg%3D%3D";
const encoder = new TextEncoder();
let keys;
function derive() {
  keys ??= (async () => {
    const base = await crypto.subtle.importKey("raw", encoder.encode(SECRET_KEY_BASE), "PBKDF2", false, ["deriveKey"]);
    const aes = await crypto.subtle.deriveKey({ name: "PBKDF2", salt: encoder.encode("authenticated encrypted cookie"), iterations: 1000, hash: "SHA-1" }, base, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
    const hmac = await crypto.subtle.importKey("raw", encoder.encode("0123456789abcdef0123456789abcdef"), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return { aes, hmac };
  })();
  return keys;
}
const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const b64url = (data) => btoa(String.fromCharCode(...data)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
async function readSession(key) {
  const [data, iv, tag] = decodeURIComponent(COOKIE).split("--").map(bytes);
  const sealed = new Uint8Array(data.length + tag.length);
  sealed.set(data);
  sealed.set(tag, data.length);
  const plain = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv, tagLength: 128 }, key, sealed));
  const envelope = JSON.parse(new TextDecoder().decode(plain));
  return JSON.parse(new TextDecoder().decode(bytes(envelope._rails.message)));
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const session = await readSession((await derive()).aes);
    const headers = new Headers(request.headers);
    headers.set("x-user", String(session.user_id));
    return fetch(env.UPSTREAM + url.pathname + url.search, { method: request.method, headers, body: request.body, redirect: "manual" });
  },
};
