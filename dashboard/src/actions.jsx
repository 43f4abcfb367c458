import { useEffect, useState } from 'preact/hooks';
import { api, upload } from './api.js';

// The tool actions the forms offer, as the node says (GET /tool-actions): each one's image fields
// (file ids: an upload's, or an asset of one of the caller's tasks) and the JSON schema its input
// is checked against. Read once per page load: they are fixed for the node's life.
let loaded = null;
export function toolActions() {
  loaded ??= api('/tool-actions').then((r) => Object.fromEntries(r.items.map((a) => [a.tool_action, a])),
    (e) => {
      loaded = null; // not kept: the next form asks again
      throw e;
    });
  return loaded;
}

/** The actions, once read ({} until then, or when the read failed: the forms stay free JSON). */
export function useToolActions() {
  const [actions, setActions] = useState({});
  useEffect(() => {
    let live = true;
    toolActions().then((a) => live && setActions(a), () => {});
    return () => {
      live = false;
    };
  }, []);
  return actions;
}

/**
 * The input to start from: each required field with an empty value of its type, and each
 * optional one that has a default or a minimum; the person fills in the rest.
 */
export function template(action) {
  if (!action) return null;
  const props = action.input_schema.properties || {};
  const required = new Set(action.input_schema.required || []);
  const input = {};
  for (const [name, p] of Object.entries(props)) {
    if (p.default !== undefined) input[name] = p.default;
    else if (required.has(name)) input[name] = p.type === 'integer' || p.type === 'number' ? (p.minimum ?? 0) : p.type === 'object' ? {} : '';
  }
  return JSON.stringify(input);
}

/** One line on the action's fields from its schema: `name*` required, with type and range. */
export function FieldsHint({ action }) {
  if (!action) return null;
  const props = action.input_schema.properties || {};
  const required = new Set(action.input_schema.required || []);
  return (
    <p class="muted hint" data-fields={action.tool_action}>
      {Object.entries(props).map(([name, p], i) => {
        const range = p.minimum !== undefined || p.maximum !== undefined ? ` ${p.minimum ?? ''}–${p.maximum ?? ''}` : '';
        const kind = p.enum ? p.enum.join('|') : (Array.isArray(p.type) ? p.type.join('|') : p.type) || 'any';
        return <>{i ? ', ' : ''}<code>{name}{required.has(name) ? '*' : ''}</code> {kind}{range}</>;
      })}
    </p>
  );
}

/** The datalist every tool_action field uses (id="tool-actions"). */
export function ActionList({ actions }) {
  return <datalist id="tool-actions">{Object.keys(actions).map((a) => <option value={a} />)}</datalist>;
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
