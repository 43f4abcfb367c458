import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { ActionButton, Err, Time, useLoad } from '../ui.jsx';

const ROLES = ['third_party', 'first_party', 'admin'];
const DAY_MS = 24 * 3600 * 1000;

/**
 * API clients (GET/POST /admin/clients, DELETE to revoke) and what attempts cost (GET /admin/usage).
 * A new client's key is shown once, as the API gives it once: only its SHA-256 is kept.
 */
export function Clients() {
  const [clients, error, reload] = useLoad(() => api('/admin/clients').then((r) => r.items), []);
  const [form, setForm] = useState({ display_name: '', role: 'third_party' });
  const [created, setCreated] = useState(null);
  const [formError, setFormError] = useState(null);
  const [copied, setCopied] = useState(false);

  async function create(e) {
    e.preventDefault();
    setFormError(null);
    setCopied(false);
    try {
      setCreated(await api('/admin/clients', { method: 'POST', body: form }));
      setForm({ ...form, display_name: '' });
      reload();
    } catch (err) {
      setFormError(err);
    }
  }

  function revoke(c) {
    if (!confirm(`Revoke ${c.display_name} (${c.id})? Its key stops working on every node at once.`)) return Promise.resolve();
    return api(`/admin/clients/${encodeURIComponent(c.id)}`, { method: 'DELETE' }).then(reload);
  }

  return (
    <section>
      <h1>API clients</h1>
      <Err error={error} />
      <table>
        <thead><tr><th>client</th><th>name</th><th>role</th><th>state</th><th>created</th><th /></tr></thead>
        <tbody>
          {(clients || []).map((c) => (
            <tr data-client={c.id}>
              <td><code>{c.id}</code></td>
              <td>{c.display_name}</td>
              <td>{c.role}</td>
              <td data-field="state">{c.is_active ? 'active' : 'revoked'}</td>
              <td><Time at={c.created_at} /></td>
              <td>{c.is_active && c.id !== 'admin' && c.id !== 'users'
                && <ActionButton action={() => revoke(c)}>Revoke</ActionButton>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="inline" onSubmit={create}>
        <h2>New client</h2>
        <label>Name <input name="display_name" required maxLength="100" value={form.display_name}
          onInput={(e) => setForm({ ...form, display_name: e.target.value })} /></label>
        <label>Role <select name="role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value })}>
          {ROLES.map((r) => <option value={r}>{r}</option>)}
        </select></label>
        <button type="submit">Create</button>
        <Err error={formError} />
      </form>
      {created && (
        <div class="new-key" data-client={created.id}>
          <p>The key of <strong>{created.display_name}</strong> ({created.role}), shown this once: copy it now.</p>
          <p>
            <input readonly size="48" data-field="api-key" value={created.api_key} onFocus={(e) => e.target.select()} />{' '}
            <button type="button" onClick={() => navigator.clipboard.writeText(created.api_key).then(() => setCopied(true), () => setCopied(false))}>
              {copied ? 'Copied' : 'Copy'}</button>{' '}
            <button type="button" class="link" onClick={() => setCreated(null)}>Done</button>
          </p>
        </div>
      )}
      <Usage />
    </section>
  );
}

function gpu(s) {
  return s === null || s === undefined ? '—' : `${Number(s).toFixed(1)} s`;
}

/** GET /admin/usage over the last 24 hours (or the days chosen, at most the API's 92). */
function Usage() {
  const [days, setDays] = useState(1);
  const [usage, error] = useLoad(() => {
    const to = new Date(Date.now() + 60_000); // a minute ahead: what ended just now counts
    const from = new Date(to.getTime() - days * DAY_MS);
    return api('/admin/usage' + query({ from: from.toISOString(), to: to.toISOString() }));
  }, [days]);
  const row = (label, u, attrs = {}) => (
    <tr {...attrs}><td>{label}</td><td>{gpu(u.gpu_seconds)}</td><td>{u.attempts}</td><td>{u.tasks}</td></tr>
  );
  return (
    <>
      <h2>Usage{' '}
        <select name="usage_days" value={days} onChange={(e) => setDays(Number(e.target.value))}>
          {[1, 7, 30, 92].map((d) => <option value={d}>last {d === 1 ? '24 hours' : `${d} days`}</option>)}
        </select>
      </h2>
      <Err error={error} />
      {usage && (
        <table class="usage">
          <thead><tr><th>by tool_action</th><th>GPU time</th><th>attempts</th><th>tasks</th></tr></thead>
          <tbody>
            {row(<strong>total</strong>, usage.total, { 'data-usage': 'total' })}
            {usage.by_tool_action.map((u) => row(<code>{u.tool_action}</code>, u, { 'data-usage': u.tool_action }))}
          </tbody>
          <thead><tr><th>by tenant</th><th>GPU time</th><th>attempts</th><th>tasks</th></tr></thead>
          <tbody>
            {usage.by_tenant.map((u) => row(<code>{u.api_client_id}{u.user_id ? ` · ${u.user_id}` : ''}</code>, u,
              { 'data-tenant': u.api_client_id }))}
          </tbody>
        </table>
      )}
    </>
  );
}
