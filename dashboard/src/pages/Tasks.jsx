import { useEffect, useRef, useState } from 'preact/hooks';
import { api, query, stream } from '../api.js';
import { statusAfter } from '../live.js';
import { Err, Progress, Status, Time } from '../ui.jsx';

const STATUSES = ['', 'pending', 'running', 'retrying', 'completed', 'failed', 'cancelled', 'timeout'];

/**
 * The caller's tasks (GET /tasks with its filters), kept live by GET /events: each event updates
 * its row in place, and a task created elsewhere reloads the page of the list.
 */
export function Tasks() {
  const [filters, setFilters] = useState({ status: '', tool_action: '', batch_id: '', deleted: '' });
  const [cursor, setCursor] = useState(null);
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  const [live, setLive] = useState('connecting');
  const rows = useRef(new Map());
  const reloadTimer = useRef(null);

  function load() {
    return api('/tasks' + query({ ...filters, limit: 50, cursor })).then((r) => {
      rows.current = new Map(r.items.map((t) => [t.id, t]));
      setPage({ items: r.items, next: r.next_cursor });
      setError(null);
    }, setError);
  }

  useEffect(() => {
    load();
  }, [filters, cursor]);

  useEffect(() => stream('/events', {
    onState: setLive,
    onEvent: (ev) => {
      const id = ev.data?.task_id;
      if (!id) return;
      const known = rows.current.get(id);
      if (!known) {
        // Someone else's submit, or this page's own: read the list again, at most every 300 ms.
        clearTimeout(reloadTimer.current);
        reloadTimer.current = setTimeout(load, 300);
        return;
      }
      const next = { ...known, status: statusAfter(ev) };
      if (ev.data.progress !== undefined) next.progress = ev.data.progress;
      if (ev.event === 'completed') next.progress = 100;
      rows.current.set(id, next);
      setPage((p) => p && { ...p, items: p.items.map((t) => (t.id === id ? next : t)) });
    },
  }), [filters, cursor]);

  const set = (k) => (e) => {
    setCursor(null);
    setFilters({ ...filters, [k]: e.target.value });
  };

  return (
    <section>
      <h1>Tasks <span class={`live live-${live}`} data-live={live}>{live}</span></h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>status <select name="status" value={filters.status} onChange={set('status')}>
          {STATUSES.map((s) => <option value={s}>{s || 'any'}</option>)}
        </select></label>
        <label>tool_action <input name="tool_action" value={filters.tool_action} onChange={set('tool_action')}
          placeholder="image.generate" /></label>
        <label>batch <input name="batch_id" value={filters.batch_id} onChange={set('batch_id')} placeholder="batch id" /></label>
        <label><input type="checkbox" checked={filters.deleted === 'true'}
          onChange={(e) => set('deleted')({ target: { value: e.target.checked ? 'true' : '' } })} /> recycle bin</label>
      </form>
      <Err error={error} />
      <table class="tasks">
        <thead>
          <tr><th>task</th><th>action</th><th>queue</th><th>status</th><th>progress</th><th>attempt</th><th>created</th></tr>
        </thead>
        <tbody>
          {(page?.items || []).map((t) => (
            <tr data-task={t.id}>
              <td><a href={`#/tasks/${t.id}`}><code>{t.id.slice(0, 8)}</code></a></td>
              <td>{t.tool_action}</td>
              <td>{t.queue}</td>
              <td><Status status={t.status} /></td>
              <td><Progress value={t.progress} /></td>
              <td>{t.attempt}</td>
              <td><Time at={t.created_at} /></td>
            </tr>
          ))}
        </tbody>
      </table>
      {page && !page.items.length && <p class="muted">No tasks.</p>}
      <p>
        {cursor && <button onClick={() => setCursor(null)}>First page</button>}
        {page?.next && <button onClick={() => setCursor(page.next)}>Next page</button>}
      </p>
    </section>
  );
}
