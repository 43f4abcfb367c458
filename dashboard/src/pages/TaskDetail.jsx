import { useEffect, useRef, useState } from 'preact/hooks';
import { api, stream, TERMINAL } from '../api.js';
import { statusAfter } from '../live.js';
import { ActionButton, Err, FileFigure, Progress, Status, Time, useLoad } from '../ui.jsx';

/** Seconds as a person reads them: 0.02 → 20 ms, 75 → 75.0 s. */
function seconds(s) {
  if (s === null || s === undefined) return '—';
  return s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(1)} s`;
}

/**
 * Its attempts from GET /tasks/{id}/attempts (each ended one's row: outcome, error, traceback,
 * provider, logs), and the running one, which has no row until it ends, from the task itself.
 */
function Attempts({ task, attempts, error }) {
  const rows = [...(attempts || [])];
  if (task.status === 'running' && !rows.some((a) => a.attempt === task.attempt)) {
    rows.push({ attempt: task.attempt, worker_id: task.worker_id, started_at: task.started_at, running: true });
  }
  return (
    <>
      <Err error={error} />
      <table class="attempts">
        <thead><tr><th>#</th><th>worker</th><th>provider</th><th>started</th><th>ended</th><th>ran</th><th>outcome</th><th>error</th></tr></thead>
        <tbody>
          {rows.map((a) => (
            <tr data-attempt={a.attempt}>
              <td>{a.attempt}</td><td>{a.worker_id || '—'}</td><td>{a.provider_name || '—'}</td>
              <td><Time at={a.started_at} /></td><td><Time at={a.completed_at} /></td><td>{seconds(a.duration_seconds)}</td>
              <td>{a.running ? 'running' : <Status status={a.outcome} />}</td>
              <td>
                {a.error_message && <pre class="attempt-error">{a.error_code}: {a.error_message}</pre>}
                {a.error_traceback && <details class="traceback"><summary>traceback</summary><pre>{a.error_traceback}</pre></details>}
                {a.logs && <details class="logs"><summary>logs</summary><pre>{a.logs}</pre></details>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {attempts && !rows.length && <p class="muted">Not started yet.</p>}
    </>
  );
}

/**
 * One task: GET /tasks/{id}, its events from GET /tasks/{id}/events (replayed from the first, then
 * live until the terminal one), its attempts from GET /tasks/{id}/attempts, its input and output
 * files, cancel and retry.
 */
export function TaskDetail({ id }) {
  const [task, error, reloadTask] = useLoad(() => api(`/tasks/${id}`), [id]);
  const [assets, assetsError, reloadAssets] = useLoad(() => api(`/tasks/${id}/assets`).then((r) => r.items), [id]);
  const [attempts, attemptsError, reloadAttempts] = useLoad(() => api(`/tasks/${id}/attempts`).then((r) => r.items), [id]);
  const [events, setEvents] = useState([]);
  const [live, setLive] = useState('connecting');
  const [status, setStatus] = useState(null);
  const [progress, setProgress] = useState(null);
  // A retried task has a new life: its stream (which ended with the old one) is opened again.
  const [life, setLife] = useState(0);
  const lastSeen = useRef(null);

  useEffect(() => {
    // Its first life replays from the first event; a retried one goes on after the last seen.
    if (life === 0) {
      setEvents([]);
      setStatus(null);
      lastSeen.current = null;
    }
    return stream(`/tasks/${id}/events`, {
      reconnect: false,
      lastEventId: lastSeen.current,
      onState: setLive,
      onEvent: (ev) => {
        if (ev.id) lastSeen.current = ev.id;
        setEvents((list) => (list.some((e) => e.id && e.id === ev.id) ? list : [...list, ev]));
        setStatus(statusAfter(ev));
        if (ev.data.progress !== undefined) setProgress(ev.data.progress);
        // An attempt starts or ends: its row (or the running one's) changes.
        if (ev.event !== 'progress' && ev.event !== 'created') {
          reloadTask();
          reloadAttempts();
        }
        if (TERMINAL.has(ev.event)) reloadAssets();
      },
    });
  }, [id, life]);

  if (error) return <Err error={error} />;
  if (!task) return <p class="muted">Loading…</p>;
  const shown = status || task.status;
  // Its inputs from its assets; its outputs as its result lists them (signed URLs, sizes), or from
  // its assets for a task that has none there.
  const outputs = task.result?.outputs;
  const files = (assets || []).filter((a) => !outputs || a.asset_type !== 'output').concat(outputs || []);
  const act = (what) => api(`/tasks/${id}/${what}`, { method: 'POST' }).catch((e) => {
    if (e.status !== 409) throw e;
  }).then(() => {
    reloadTask();
    if (what === 'retry') setLife(life + 1);
  });

  return (
    <section class="task" data-task={id}>
      <h1>Task <code>{id}</code></h1>
      <p>
        <Status status={shown} /> <Progress value={shown === 'completed' ? 100 : progress ?? task.progress} />
        {' '}<span class={`live live-${live}`} data-live={live}>{live}</span>
      </p>
      <dl>
        <dt>action</dt><dd>{task.tool_action}</dd>
        <dt>queue</dt><dd>{task.queue} · priority {task.priority}</dd>
        <dt>attempt</dt><dd>{task.attempt} of at most {task.max_retries + 1}</dd>
        <dt>worker</dt><dd>{task.worker_id || '—'}</dd>
        <dt>created</dt><dd><Time at={task.created_at} /></dd>
        <dt>started</dt><dd><Time at={task.started_at} /></dd>
        <dt>finished</dt><dd><Time at={task.finished_at} /></dd>
        {task.batch_id && <><dt>batch</dt><dd><a href={`#/batches/${task.batch_id}`}>{task.batch_id}</a></dd></>}
      </dl>
      <p class="actions">
        {!TERMINAL.has(shown) && <ActionButton action={() => act('cancel')}>Cancel</ActionButton>}
        {['failed', 'timeout', 'cancelled'].includes(shown) && <ActionButton action={() => act('retry')}>Retry</ActionButton>}
      </p>
      {task.error_message && <p class="error">{task.error_code}: {task.error_message}</p>}

      <h2>Files</h2>
      <Err error={assetsError} />
      <div class="assets">
        {files.map((f) => <FileFigure file={f} />)}
        {assets && !files.length && <p class="muted">No files yet.</p>}
      </div>

      <h2>Attempts</h2>
      <Attempts task={task} attempts={attempts} error={attemptsError} />

      <h2>Events</h2>
      <ol class="events">
        {events.map((ev) => (
          <li data-event={ev.event}><Time at={ev.data.at} /> <strong>{ev.event}</strong>
            {ev.event === 'progress' ? ` ${ev.data.progress}%` : ''}</li>
        ))}
      </ol>

      <h2>Input</h2>
      <pre>{JSON.stringify(task.input, null, 2)}</pre>
      {task.result && <><h2>Result</h2><pre>{JSON.stringify(task.result, null, 2)}</pre></>}
    </section>
  );
}
