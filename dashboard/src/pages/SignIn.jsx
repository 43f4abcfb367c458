import { useState } from 'preact/hooks';
import { api, signIn, signOut } from '../api.js';
import { Err } from '../ui.jsx';

/** An API key (checked with GET /me), or an e-mailed code exchanged for a bearer token. */
export function SignIn({ onSignedIn }) {
  const [key, setKey] = useState('');
  const [email, setEmail] = useState('');
  const [code, setCode] = useState('');
  const [sent, setSent] = useState(false);
  const [error, setError] = useState(null);

  async function withKey(e) {
    e.preventDefault();
    setError(null);
    signIn('X-Auth-Key', key.trim());
    try {
      await api('/me');
      onSignedIn();
    } catch (err) {
      signOut();
      setError(err);
    }
  }

  async function sendCode(e) {
    e.preventDefault();
    setError(null);
    try {
      await api('/auth/email-code', { method: 'POST', body: { email } });
      setSent(true);
    } catch (err) {
      setError(err);
    }
  }

  async function verify(e) {
    e.preventDefault();
    setError(null);
    try {
      const session = await api('/auth/verify', { method: 'POST', body: { email, code: code.trim() } });
      signIn('Authorization', 'Bearer ' + session.access_token);
      onSignedIn();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <main class="signin">
      <h1>Kiln</h1>
      <Err error={error} />
      <form onSubmit={withKey}>
        <h2>API key</h2>
        <label>Key <input name="api_key" type="password" autocomplete="off" value={key}
          onInput={(e) => setKey(e.target.value)} required /></label>
        <button type="submit">Sign in</button>
        <p class="muted">An embedded node keeps its admin key in <code>data/admin.key</code>.</p>
      </form>
      <form onSubmit={sent ? verify : sendCode}>
        <h2>E-mail code</h2>
        <label>E-mail <input name="email" type="email" value={email} onInput={(e) => setEmail(e.target.value)}
          required disabled={sent} /></label>
        {sent && (
          <label>Code <input name="code" inputmode="numeric" value={code} onInput={(e) => setCode(e.target.value)}
            required /></label>
        )}
        <button type="submit">{sent ? 'Verify' : 'Send code'}</button>
        {sent && <button type="button" class="link" onClick={() => setSent(false)}>Use another address</button>}
      </form>
    </main>
  );
}
