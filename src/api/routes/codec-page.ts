/** The page of GET /codec: staff paste their key once; it goes to POST /codec/session, which keeps it in an HttpOnly cookie. */

export const NOT_CONFIGURED_ENCRYPTION = 'Payload encryption is off on this server (no PAYLOAD_KEYS): there is nothing to decode.';

export function signInPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Codec sign-in</title>
<style>body{font:16px system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}input{width:100%;font:inherit;padding:.4rem}
button{font:inherit;padding:.4rem 1rem;margin-top:.6rem}#out{margin-top:1rem}</style></head>
<body><h1>Decode payloads in the Temporal UI</h1>
<p>Paste your staff key (<code>staff_…</code>, support or admin role). This browser keeps it for 8 hours in a cookie only
<code>/codec</code> receives. Then, in the Temporal UI's codec settings, set this page's address as the browser's endpoint and turn on <em>Include cross-origin credentials</em>.</p>
<form id="f"><label>Staff key <input id="key" type="password" autocomplete="off" required></label>
<button>Sign in</button> <button type="button" id="out-btn">Sign out</button></form><p id="out" role="status"></p>
<script>
const session = (location.pathname.endsWith('/') ? location.pathname : location.pathname + '/') + 'session';
const say = (t) => { document.getElementById('out').textContent = t; };
document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const res = await fetch(session, { method: 'POST', headers: { Authorization: 'Bearer ' + document.getElementById('key').value.trim() } });
  document.getElementById('key').value = '';
  say(res.ok ? 'Signed in: the Temporal UI on this browser now decodes through this endpoint.'
    : 'Refused: ' + ((await res.json().catch(() => ({}))).error?.message ?? res.status));
});
document.getElementById('out-btn').addEventListener('click', async () => {
  await fetch(session, { method: 'DELETE' });
  say('Signed out.');
});
</script></body></html>`;
}
