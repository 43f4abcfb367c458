import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ActionButton, Err, useLoad } from '../ui.jsx';

const LIMITS = [
  ['max_concurrency', 'max running'],
  ['job_timeout', 'timeout (ms)'],
  ['max_retries', 'retries'],
  ['retry_delay_base', 'retry base (ms)'],
  ['retry_delay_max', 'retry max (ms)'],
];

/** Milliseconds as a person reads them: 300000 → 5 min. */
function duration(ms) {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/** A recent time in ms (p50 / p95 of the last hour), or a dash when no attempt ended in it. */
function recent(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** GET /admin/queues every 2 s (with each queue's wait and run times of the last hour); pause, resume and limits through PUT /admin/queues/{name}. */
export function Queues() {
  const [queues, error, reload] = useLoad(() => api('/admin/queues').then((r) => r.items), [], 2000);
  const [editing, setEditing] = useState(null);

  const put = (name, body) => api(`/admin/queues/${encodeURIComponent(name)}`, { method: 'PUT', body }).then(reload);

  return (
    <section>
      <h1>Queues</h1>
      <Err error={error} />
      <table>
        <thead>
          <tr><th>queue</th><th>state</th><th>pending</th><th>retrying</th><th>running / limit</th>
            <th title="from creation to the first attempt's start, over the attempts that ended in the last hour">wait p50 / p95</th>
            <th title="of the completed attempts that ended in the last hour">run p50 / p95</th>
            <th>timeout</th><th>retries</th><th>priority</th><th /></tr>
        </thead>
        <tbody>
          {(queues || []).map((q) => (
            <tr data-queue={q.queue}>
              <td>{q.queue}</td>
              <td data-field="state">{q.is_active ? 'active' : <strong class="paused">paused</strong>}</td>
              <td data-field="pending">{q.pending}</td>
              <td>{q.retrying}</td>
              <td><meter min="0" max={q.max_concurrency} value={q.running} /> {q.running} / {q.max_concurrency}</td>
              <td data-field="wait">{recent(q.wait_ms_p50)} / {recent(q.wait_ms_p95)}</td>
              <td data-field="run">{recent(q.run_ms_p50)} / {recent(q.run_ms_p95)}</td>
              <td>{duration(q.job_timeout)}</td>
              <td>{q.max_retries}</td>
              <td>{q.enable_priority ? 'on' : 'off'}</td>
              <td class="actions">
                <ActionButton action={() => put(q.queue, { is_active: !q.is_active })}>
                  {q.is_active ? 'Pause' : 'Resume'}
                </ActionButton>
                <button onClick={() => setEditing(editing === q.queue ? null : q.queue)}>Limits</button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {editing && queues && (
        <LimitsForm queue={queues.find((q) => q.queue === editing)}
          onSave={(body) => put(editing, body).then(() => setEditing(null))} />
      )}
    </section>
  );
}

function LimitsForm({ queue, onSave }) {
  const [values, setValues] = useState(() => Object.fromEntries(LIMITS.map(([k]) => [k, String(queue[k])])));
  const [error, setError] = useState(null);
  async function save(e) {
    e.preventDefault();
    setError(null);
    const body = {};
    for (const [k] of LIMITS) if (Number(values[k]) !== queue[k]) body[k] = Number(values[k]);
    if (!Object.keys(body).length) return onSave({ is_active: queue.is_active });
    try {
      await onSave(body);
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="inline" onSubmit={save}>
      <h2>Limits of {queue.queue}</h2>
      {LIMITS.map(([k, label]) => (
        <label>{label} <input name={k} type="number" value={values[k]}
          onInput={(e) => setValues({ ...values, [k]: e.target.value })} /></label>
      ))}
      <button type="submit">Save</button>
      <Err error={error} />
    </form>
  );
}
