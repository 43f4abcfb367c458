import { useEffect, useRef, useState } from 'preact/hooks';
import { api, stream, TERMINAL } from '../api.js';
import { statusAfter } from '../live.js';
import { ActionButton, Err, Progress, Status, Time, useLoad } from '../ui.jsx';

/** Each attempt from the events: opened by `started`, closed by the event that ended it. */
function attemptsOf(events) {
  const out = [];
  for (const ev of events) {
    if (ev.event === 'started') out.push({ attempt: ev.data.attempt ?? out.length + 1, started_at: ev.data.at });
    else if (ev.event !== 'progress' && ev.event !== 'created' && out.length && !out[out.length - 1].outcome) {
      Object.assign(out[out.length - 1], {
        outcome: ev.event, ended_at: ev.data.at, error_code: ev.data.error_code, error_message: ev.data.error_message,
      });
    }
  }
  return out;
}

/**
 * One task: GET /tasks/{id}, its events from GET /tasks/{id}/events (replayed from the first, then
 * live until the terminal one), its attempts, its input and output files, cancel and retry.
 */
export function TaskDetail({ id }) {
  const [task, error, reloadTask] = useLoad(() => api(`/tasks/${id}`), [id]);
  const [assets, assetsError, reloadAssets] = useLoad(() => api(`/tasks/${id}/assets`).then((r) => r.items), [id]);
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
        if (TERMINAL.has(ev.event)) {
          reloadTask();
          reloadAssets();
        }
      },
    });
  }, [id, life]);

  if (error) return <Err error={error} />;
  if (!task) return <p class="muted">Loading…</p>;
  const shown = status || task.status;
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
        {(assets || []).map((a) => (
          <figure data-asset={a.asset_type}>
            {a.mime_type?.startsWith('image/')
              ? <a href={a.url} target="_blank" rel="noopener"><img src={a.url} alt={`${a.asset_type} ${a.file_name || ''}`} /></a>
              : <a href={a.url}>{a.file_name || a.id}</a>}
            <figcaption>{a.asset_type} · {a.width && `${a.width}×${a.height} · `}{Math.round(a.size_bytes / 1024)} KiB</figcaption>
          </figure>
        ))}
        {assets && !assets.length && <p class="muted">No files yet.</p>}
      </div>

      <h2>Attempts</h2>
      <table>
        <thead><tr><th>#</th><th>started</th><th>ended</th><th>outcome</th><th>error</th></tr></thead>
        <tbody>
          {attemptsOf(events).map((a) => (
            <tr>
              <td>{a.attempt}</td><td><Time at={a.started_at} /></td><td><Time at={a.ended_at} /></td>
              <td>{a.outcome ? <Status status={a.outcome} /> : 'running'}</td>
              <td>{a.error_message && <pre>{a.error_code}: {a.error_message}</pre>}</td>
            </tr>
          ))}
        </tbody>
      </table>

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
