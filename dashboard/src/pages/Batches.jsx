import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { ActionButton, Err, FileFigure, Status, Time, useLoad } from '../ui.jsx';
import { ActionList, FieldsHint, ImagePicker, useToolActions } from '../actions.jsx';

/** The items textarea: one JSON input per line (blank lines skipped); a bad line says which. */
function items(text) {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((line, i) => {
    try {
      return JSON.parse(line);
    } catch (err) {
      throw new Error(`item ${i + 1} is not JSON: ${err.message}`);
    }
  });
}

/**
 * A generic batch (seed 000): one tool_action over many inputs, one JSON input per line. Images
 * picked are uploaded and each becomes a line: the parameters with the action's first image field
 * set to the upload's id, so several images get the same parameters.
 */
function GenericBatchForm() {
  const [form, setForm] = useState({ tool_action: 'image.hires', title: '', params: '{"scale": 2}', items: '' });
  const [error, setError] = useState(null);
  const actions = useToolActions();
  const action = actions[form.tool_action.trim()];
  const field = action?.image_fields[0];
  const set = (k) => (e) => setForm({ ...form, [k]: e.target.value });

  function addImage(file) {
    setForm((f) => {
      let params;
      try {
        params = f.params.trim() ? JSON.parse(f.params) : {};
      } catch {
        params = {};
      }
      const line = JSON.stringify({ ...params, [field]: file.id });
      return { ...f, items: f.items.trim() ? `${f.items.trim()}\n${line}` : line };
    });
  }

  async function create(e) {
    e.preventDefault();
    setError(null);
    try {
      const b = await api('/batches', {
        method: 'POST',
        body: { tool_action: form.tool_action.trim(), title: form.title || undefined, items: items(form.items) },
      });
      location.hash = `#/batches/${b.id}`;
    } catch (err) {
      setError(err);
    }
  }

  return (
    <form class="stack generic-batch" onSubmit={create}>
      <h2>New batch of any tool_action</h2>
      <label>tool_action <input name="batch_tool_action" required list="tool-actions" value={form.tool_action} onInput={set('tool_action')} /></label>
      <ActionList actions={actions} />
      <FieldsHint action={action} />
      <label>Title <input name="batch_title" value={form.title} onInput={set('title')} /></label>
      {field && (
        <>
          <label>Parameters for each image (JSON) <input name="batch_params" value={form.params} onInput={set('params')} /></label>
          <ImagePicker name="batch_images" label={`Add images (each a ${field})`} multiple onUploaded={addImage} />
        </>
      )}
      <label>Items, one JSON input per line <textarea name="batch_items" rows="5" wrap="off" required value={form.items} onInput={set('items')} /></label>
      <button type="submit">Create batch</button>
      <Err error={error} />
    </form>
  );
}

/** GET /history (one row per batch), and POST /batches in both forms: seed 002's prompt, seed 000's tool_action over items. */
export function Batches() {
  const [cursor, setCursor] = useState(null);
  const [page, error, reload] = useLoad(() => api('/history' + query({ limit: 20, cursor })), [cursor], 3000);
  const [form, setForm] = useState({ title: '', prompt: '', batch_size: 4 });
  const [formError, setFormError] = useState(null);

  async function create(e) {
    e.preventDefault();
    setFormError(null);
    try {
      const b = await api('/batches', {
        method: 'POST',
        body: { title: form.title || undefined, prompt: form.prompt, batch_size: Number(form.batch_size) },
      });
      location.hash = `#/batches/${b.id}`;
    } catch (err) {
      setFormError(err);
    }
  }

  return (
    <section>
      <h1>Batches</h1>
      <Err error={error} />
      <table>
        <thead><tr><th>batch</th><th>title</th><th>status</th><th>done</th><th>failed</th><th>created</th></tr></thead>
        <tbody>
          {(page?.items || []).map((b) => (
            <tr>
              <td><a href={`#/batches/${b.id}`}><code>{String(b.id).slice(0, 8)}</code></a></td>
              <td>{b.title}</td>
              <td><Status status={b.status} /></td>
              <td>{b.success_count ?? b.completed_count} / {b.batch_size ?? b.total_count}</td>
              <td>{b.failed_count}</td>
              <td><Time at={b.created_at} /></td>
            </tr>
          ))}
        </tbody>
      </table>
      {page && !page.items.length && <p class="muted">No batches yet.</p>}
      <p>
        {cursor && <button onClick={() => setCursor(null)}>First page</button>}
        {page?.next_cursor && <button onClick={() => setCursor(page.next_cursor)}>Next page</button>}
        <button onClick={reload}>Refresh</button>
      </p>
      <form class="inline" onSubmit={create}>
        <h2>New image batch</h2>
        <label>Title <input name="title" value={form.title} onInput={(e) => setForm({ ...form, title: e.target.value })} /></label>
        <label>Prompt <input name="prompt" required value={form.prompt} onInput={(e) => setForm({ ...form, prompt: e.target.value })} /></label>
        <label>Images <input name="batch_size" type="number" min="1" max="64" value={form.batch_size}
          onInput={(e) => setForm({ ...form, batch_size: e.target.value })} /></label>
        <button type="submit">Create</button>
        <Err error={formError} />
      </form>
      <GenericBatchForm />
    </section>
  );
}

/** GET /batches/{id}: its counts, status and tasks with their outputs (result.outputs); cancel. */
export function BatchDetail({ id }) {
  const [batch, error, reload] = useLoad(() => api(`/batches/${id}`), [id], 2000);
  if (error) return <Err error={error} />;
  if (!batch) return <p class="muted">Loading…</p>;
  const ended = ['completed', 'partial', 'failed', 'cancelled'].includes(batch.status);
  return (
    <section>
      <h1>Batch {batch.title || <code>{batch.id}</code>}</h1>
      <p><Status status={batch.status} /> {batch.completed_count} of {batch.total_count} done,
        {' '}{batch.failed_count} failed, {batch.cancelled_count} cancelled</p>
      {!ended && <ActionButton action={() => api(`/batches/${id}/cancel`, { method: 'POST' }).then(reload)}>Cancel batch</ActionButton>}
      <div class="assets">
        {(batch.tasks || []).map((t) => {
          const label = <a href={`#/tasks/${t.id}`}>#{t.batch_index}{t.seed !== null && t.seed !== undefined ? ` · seed ${t.seed}` : ''}</a>;
          // A completed task's outputs (every kind: a generic batch's may be several, or no image).
          if (t.outputs?.length) {
            return t.outputs.map((o) => <FileFigure file={o} alt={`task ${t.id}`}>{label}</FileFigure>);
          }
          return (
            <figure data-task={t.id}>
              <div class="placeholder"><Status status={t.status} /></div>
              <figcaption>{label}</figcaption>
            </figure>
          );
        })}
      </div>
    </section>
  );
}
