import { useState } from 'preact/hooks';
import { upload } from './api.js';

// The tool actions a form offers, with an input to start from and which of its fields are images
// (file ids: an upload's, or an asset of one of the caller's tasks). The API does not publish the
// actions' schemas, so this mirrors task-core/src/main/resources/schemas/; a field the schema
// does not know is the API's 422, so a stale entry shows as an error, never as a wrong task.
export const ACTIONS = {
  'image.generate': { input: { prompt: '', width: 512, height: 512 }, images: [] },
  'image.hires': { input: { source_image: '', scale: 2 }, images: ['source_image'] },
  'image.pattern-extract': { input: { source_image: '', config: { colors: 6 } }, images: ['source_image'] },
  'image.head-swap': { input: { source_image: '', reference_image: '' }, images: ['source_image', 'reference_image'] },
  // reference_image is optional here: its picker adds it
  'image.background-change': { input: { source_image: '', prompt: '' }, images: ['source_image', 'reference_image'] },
  'image.pose-change': { input: { source_image: '' }, images: ['source_image', 'reference_image'] },
  'model3d.generate': { input: { source_image: '' }, images: ['source_image'] },
  'debug.sleep': { input: { duration_ms: 2000, progress_steps: 4 }, images: [] },
  'debug.noop': { input: {}, images: [] },
};

/** The datalist every tool_action field uses (id="tool-actions"). */
export function imageFields(action) {
  return ACTIONS[action]?.images || [];
}

/** The starting input of an action as the forms' JSON text, or null for one it does not know. */
export function template(action) {
  return ACTIONS[action] ? JSON.stringify(ACTIONS[action].input) : null;
}

export function ActionList() {
  return <datalist id="tool-actions">{Object.keys(ACTIONS).map((a) => <option value={a} />)}</datalist>;
}

/**
 * A file picker for one image field: the chosen PNG or JPEG is uploaded (POST /files) and
 * onUploaded(file) gets the upload, whose id the form puts in the field. Several files (multiple)
 * are uploaded one after another, in the order chosen.
 */
export function ImagePicker({ name, label, multiple = false, onUploaded }) {
  const [state, setState] = useState({ busy: false, error: null, last: null });
  async function picked(e) {
    const files = [...e.target.files];
    setState({ busy: true, error: null, last: null });
    try {
      let last = null;
      for (const f of files) {
        last = await upload(f);
        onUploaded(last);
      }
      setState({ busy: false, error: null, last });
    } catch (err) {
      setState({ busy: false, error: err, last: null });
    }
    e.target.value = ''; // the same file may be picked again
  }
  return (
    <label class="picker" data-picker={name}>
      {label || `Upload ${name}`}
      <input type="file" name={name} accept="image/png,image/jpeg" multiple={multiple} onChange={picked} disabled={state.busy} />
      {state.busy && <span class="muted">uploading…</span>}
      {state.last && <span class="uploaded" data-file={state.last.id}>
        <img src={state.last.url} alt={`uploaded ${name}`} /> {state.last.width}×{state.last.height}</span>}
      {state.error && <span class="error" role="alert">{state.error.message}{state.error.code ? ` (${state.error.code})` : ''}</span>}
    </label>
  );
}
