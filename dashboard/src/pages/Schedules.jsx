import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { ActionButton, Err, Status, Time, useLoad } from '../ui.jsx';

function schedule(c) {
  const s = c.schedule_config || {};
  if (c.scheduler_type === 'CRON') return `${s.cron_expression} (${s.timezone || 'UTC'})`;
  if (c.scheduler_type === 'DATE') return `once at ${s.run_at}`;
  return 'by hand';
}

/** Task configs (GET /admin/task-configs): schedules, run now, pause, a new one. */
export function Schedules() {
  const [page, error, reload] = useLoad(() => api('/admin/task-configs' + query({ limit: 100 })), [], 5000);
  const [form, setForm] = useState({
    name: '', task_type: 'debug.noop', scheduler_type: 'CRON', cron_expression: '0 9 * * *', timezone: 'UTC',
    run_at: '', parameters: '{}',
  });
  const [formError, setFormError] = useState(null);
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });

  async function create(e) {
    e.preventDefault();
    setFormError(null);
    try {
      const body = { name: form.name, task_type: form.task_type, scheduler_type: form.scheduler_type };
      try {
        body.parameters = JSON.parse(form.parameters || '{}');
      } catch (err) {
        throw new Error('parameters are not JSON: ' + err.message);
      }
      if (form.scheduler_type === 'CRON') body.schedule_config = { cron_expression: form.cron_expression, timezone: form.timezone };
      if (form.scheduler_type === 'DATE') body.schedule_config = { run_at: form.run_at };
      await api('/admin/task-configs', { method: 'POST', body });
      reload();
    } catch (err) {
      setFormError(err);
    }
  }

  const put = (c, body) => api(`/admin/task-configs/${c.id}`, { method: 'PUT', body }).then(reload);

  return (
    <section>
      <h1>Schedules</h1>
      <Err error={error} />
      <table>
        <thead><tr><th>config</th><th>action</th><th>schedule</th><th>state</th><th>next run</th><th>last run</th><th /></tr></thead>
        <tbody>
          {(page?.items || []).map((c) => (
            <tr data-config={c.id}>
              <td><a href={`#/schedules/${c.id}`}>{c.name}</a></td>
              <td>{c.task_type}</td>
              <td>{schedule(c)}</td>
              <td>{c.is_active ? 'active' : <span class="paused">inactive</span>}</td>
              <td><Time at={c.next_run_at} /></td>
              <td><Time at={c.last_run_at} /></td>
              <td class="actions">
                <ActionButton action={() => api(`/admin/task-configs/${c.id}/run`, { method: 'POST' })
                  .then((t) => { location.hash = `#/tasks/${t.id}`; })}>Run now</ActionButton>
                <ActionButton action={() => put(c, { is_active: !c.is_active })}>{c.is_active ? 'Pause' : 'Activate'}</ActionButton>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {page && !page.items.length && <p class="muted">No task configs.</p>}
      <form class="stack inline" onSubmit={create}>
        <h2>New task config</h2>
        <label>Name <input name="name" required value={form.name} onInput={set('name')} /></label>
        <label>tool_action <input name="task_type" required value={form.task_type} onInput={set('task_type')} /></label>
        <label>Schedule <select name="scheduler_type" value={form.scheduler_type} onChange={set('scheduler_type')}>
          <option>CRON</option><option>DATE</option><option>MANUAL</option></select></label>
        {form.scheduler_type === 'CRON' && <>
          <label>Cron (min hour day month weekday) <input name="cron_expression" value={form.cron_expression} onInput={set('cron_expression')} /></label>
          <label>Time zone <input name="timezone" value={form.timezone} onInput={set('timezone')} /></label>
        </>}
        {form.scheduler_type === 'DATE' && (
          <label>Run at (ISO-8601 with offset) <input name="run_at" value={form.run_at} onInput={set('run_at')}
            placeholder="2026-12-24T18:00:00+01:00" /></label>
        )}
        <label>Parameters (the task's input, JSON) <textarea name="parameters" value={form.parameters} onInput={set('parameters')} /></label>
        <button type="submit">Create</button>
        <Err error={formError} />
      </form>
    </section>
  );
}

/** One config's executions (GET /admin/task-configs/{id}/executions), with tracebacks. */
export function ScheduleDetail({ id }) {
  const [config, error] = useLoad(() => api(`/admin/task-configs/${id}`), [id]);
  const [runs, runsError] = useLoad(() => api(`/admin/task-configs/${id}/executions` + query({ limit: 50 })), [id], 5000);
  if (error) return <Err error={error} />;
  if (!config) return <p class="muted">Loading…</p>;
  return (
    <section>
      <h1>{config.name}</h1>
      <p>{config.task_type} · {schedule(config)} · misfires: {config.misfire_policy}</p>
      <h2>Parameters</h2>
      <pre>{JSON.stringify(config.parameters, null, 2)}</pre>
      <h2>Executions</h2>
      <Err error={runsError} />
      <table>
        <thead><tr><th>task</th><th>attempt</th><th>scheduled for</th><th>outcome</th><th>worker</th><th>seconds</th><th>error</th></tr></thead>
        <tbody>
          {(runs?.items || []).map((x) => (
            <tr>
              <td><a href={`#/tasks/${x.task_id}`}><code>{String(x.task_id).slice(0, 8)}</code></a></td>
              <td>{x.attempt}</td>
              <td><Time at={x.scheduled_for} /></td>
              <td><Status status={x.outcome} /></td>
              <td>{x.worker_id}</td>
              <td>{x.duration_seconds?.toFixed(2)}</td>
              <td>{x.error_message && <details><summary>{x.error_code}: {x.error_message}</summary>
                <pre>{x.error_traceback || 'no traceback'}</pre></details>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
