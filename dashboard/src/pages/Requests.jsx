import { useEffect, useRef, useState } from 'preact/hooks';
import { api, query, stream } from '../api.js';
import { ActionButton, Err, Progress, Status, Time, useLoad } from '../ui.jsx';
import { ModelViewer } from './ModelViewer.jsx';

/** GET /generation-requests, and a new one from a prompt (POST /generation-requests). */
export function Requests() {
  const [cursor, setCursor] = useState(null);
  const [page, error] = useLoad(() => api('/generation-requests' + query({ limit: 20, cursor })), [cursor], 3000);
  const [form, setForm] = useState({ prompt: '', image_count: 4, seed: '' });
  const [formError, setFormError] = useState(null);

  async function create(e) {
    e.preventDefault();
    setFormError(null);
    try {
      const body = { prompt: form.prompt, image_count: Number(form.image_count) };
      if (form.seed !== '') body.seed = Number(form.seed);
      const r = await api('/generation-requests', { method: 'POST', body });
      location.hash = `#/requests/${r.id}`;
    } catch (err) {
      setFormError(err);
    }
  }

  return (
    <section>
      <h1>Image → 3D requests</h1>
      <form class="inline" onSubmit={create}>
        <label>Prompt <input name="prompt" required size="40" value={form.prompt}
          onInput={(e) => setForm({ ...form, prompt: e.target.value })} /></label>
        <label>Images <input name="image_count" type="number" min="1" max="8" value={form.image_count}
          onInput={(e) => setForm({ ...form, image_count: e.target.value })} /></label>
        <label>Seed <input name="seed" type="number" value={form.seed} placeholder="random"
          onInput={(e) => setForm({ ...form, seed: e.target.value })} /></label>
        <button type="submit">Generate images</button>
        <Err error={formError} />
      </form>
      <Err error={error} />
      <table>
        <thead><tr><th>request</th><th>prompt</th><th>status</th><th>phase</th><th>created</th></tr></thead>
        <tbody>
          {(page?.items || []).map((r) => (
            <tr>
              <td><a href={`#/requests/${r.id}`}><code>{r.id.slice(0, 8)}</code></a></td>
              <td>{r.prompt}</td>
              <td><Status status={r.status} /></td>
              <td>{r.phase}</td>
              <td><Time at={r.created_at} /></td>
            </tr>
          ))}
        </tbody>
      </table>
      {page && !page.items.length && <p class="muted">No requests yet.</p>}
      <p>
        {cursor && <button onClick={() => setCursor(null)}>First page</button>}
        {page?.next_cursor && <button onClick={() => setCursor(page.next_cursor)}>Next page</button>}
      </p>
    </section>
  );
}

/**
 * One request: its images as they are made, the pick-one step (PATCH selected_image_index), then
 * its model in the 3D viewer. Follows GET /generation-requests/{id}/events and reads the request
 * again after each change (at most every 250 ms).
 */
export function RequestDetail({ id }) {
  const [req, error, reload] = useLoad(() => api(`/generation-requests/${id}`), [id]);
  const [live, setLive] = useState('connecting');
  const [name, setName] = useState('');
  const timer = useRef(null);

  useEffect(() => stream(`/generation-requests/${id}/events`, {
    reconnect: false,
    onState: setLive,
    onEvent: () => {
      clearTimeout(timer.current);
      timer.current = setTimeout(reload, 250);
    },
  }), [id]);
  // The stream ends after the last phase: read the request once more then.
  useEffect(() => {
    if (live === 'ended') reload();
  }, [live]);

  if (error) return <Err error={error} />;
  if (!req) return <p class="muted">Loading…</p>;
  const picking = req.phase === 'AWAITING_SELECTION';
  const pick = (index) => api(`/generation-requests/${id}`, {
    method: 'PATCH', body: { selected_image_index: index, ...(name ? { name } : {}) },
  }).then(reload);
  const ended = ['COMPLETED', 'CANCELLED'].includes(req.phase) || req.status === 'CANCELLED';

  return (
    <section class="request" data-request={id} data-phase={req.phase}>
      <h1>{req.prompt}</h1>
      <p><Status status={req.status} /> phase {req.phase}
        {' '}<span class={`live live-${live}`} data-live={live}>{live}</span></p>
      {!ended && <ActionButton action={() => api(`/generation-requests/${id}/cancel`, { method: 'POST' }).then(reload)}>
        Cancel request</ActionButton>}
      {picking && (
        <p class="pick">Pick the image to make into a 3D model.
          {' '}<label>Model name <input name="model_name" value={name} onInput={(e) => setName(e.target.value)}
            placeholder="from the prompt" /></label></p>
      )}
      <div class="assets">
        {req.images.map((im) => (
          <figure data-image={im.index} data-image-status={im.status}
            class={req.selected_image_index === im.index ? 'selected' : ''}>
            {im.image_url ? <img src={im.image_url} alt={`image ${im.index}`} />
              : <div class="placeholder"><Progress value={im.progress} /></div>}
            <figcaption>
              #{im.index} · seed {im.seed} · <Status status={im.status} />
              {picking && im.status === 'COMPLETED' && <> <ActionButton action={() => pick(im.index)}>Pick</ActionButton></>}
              {im.error_message && <span class="error"> {im.error_message}</span>}
            </figcaption>
          </figure>
        ))}
      </div>
      {req.model && (
        <>
          <h2>Model {req.model.name}</h2>
          <p><Status status={req.model.status} /> <Progress value={req.model.progress} />
            {req.model.task_id && <> task <a href={`#/tasks/${req.model.task_id}`}>{req.model.task_id.slice(0, 8)}</a></>}</p>
          {req.model.error_message && <p class="error">{req.model.error_message}</p>}
          {req.model.model_url && <ModelViewer url={req.model.model_url} />}
          {req.model.status === 'COMPLETED' && (
            <p><ActionButton action={() => api(`/models/${req.model.id}/publish`, { method: 'POST' })
              .then(() => { location.hash = `#/gallery/${req.model.id}`; })}>Publish to the gallery</ActionButton></p>
          )}
        </>
      )}
    </section>
  );
}
