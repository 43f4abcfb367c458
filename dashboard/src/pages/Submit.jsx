import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Err } from '../ui.jsx';
import { ActionList, FieldsHint, ImagePicker, template, useToolActions } from '../actions.jsx';

/** The input JSON text with field set to value; text that is not a JSON object starts again from {}. */
export function withField(text, field, value) {
  let input;
  try {
    input = JSON.parse(text);
  } catch {
    input = null;
  }
  if (!input || typeof input !== 'object' || Array.isArray(input)) input = {};
  return JSON.stringify({ ...input, [field]: value }, null, 2);
}

/**
 * POST /tasks from a prompt (image.generate) or from any tool_action and its input JSON; the
 * actions, their fields and image fields are GET /tool-actions': each image field gets a picker
 * that uploads the file and puts its id in the input.
 */
export function Submit() {
  const [form, setForm] = useState('prompt');
  const [prompt, setPrompt] = useState({ prompt: '', width: 512, height: 512, seed: '' });
  const [raw, setRaw] = useState({ tool_action: 'debug.sleep', input: '{"duration_ms": 2000, "progress_steps": 4}', priority: 0 });
  const [error, setError] = useState(null);
  const actions = useToolActions();
  const action = actions[raw.tool_action.trim()];

  async function submit(e) {
    e.preventDefault();
    setError(null);
    try {
      let body;
      if (form === 'prompt') {
        const input = { prompt: prompt.prompt, width: Number(prompt.width), height: Number(prompt.height) };
        if (prompt.seed !== '') input.seed = Number(prompt.seed);
        body = { tool_action: 'image.generate', input, channel: 'web-ui' };
      } else {
        let input;
        try {
          input = raw.input.trim() ? JSON.parse(raw.input) : undefined;
        } catch (err) {
          throw new Error('input is not JSON: ' + err.message);
        }
        body = { tool_action: raw.tool_action.trim(), input, priority: Number(raw.priority), channel: 'web-ui' };
      }
      const task = await api('/tasks', { method: 'POST', body });
      location.hash = `#/tasks/${task.id}`;
    } catch (err) {
      setError(err);
    }
  }

  const field = (state, set, k) => (e) => set({ ...state, [k]: e.target.value });
  // A known action chosen: its input starts from that action's template.
  const pickAction = (e) => {
    const action = e.target.value;
    const start = template(actions[action.trim()]);
    setRaw({ ...raw, tool_action: action, input: start ?? raw.input });
  };

  return (
    <section>
      <h1>Submit a task</h1>
      <p>
        <label><input type="radio" name="form" checked={form === 'prompt'} onChange={() => setForm('prompt')} /> image from a prompt</label>
        {' '}<label><input type="radio" name="form" checked={form === 'raw'} onChange={() => setForm('raw')} /> any tool_action</label>
      </p>
      <form class="stack" onSubmit={submit}>
        {form === 'prompt' ? (
          <>
            <label>Prompt <textarea name="prompt" required value={prompt.prompt} onInput={field(prompt, setPrompt, 'prompt')} /></label>
            <label>Width <input name="width" type="number" value={prompt.width} onInput={field(prompt, setPrompt, 'width')} /></label>
            <label>Height <input name="height" type="number" value={prompt.height} onInput={field(prompt, setPrompt, 'height')} /></label>
            <label>Seed <input name="seed" type="number" value={prompt.seed} onInput={field(prompt, setPrompt, 'seed')} placeholder="random" /></label>
          </>
        ) : (
          <>
            <label>tool_action <input name="tool_action" required list="tool-actions" value={raw.tool_action} onInput={pickAction} /></label>
            <ActionList actions={actions} />
            <FieldsHint action={action} />
            {(action?.image_fields || []).map((f) => (
              <ImagePicker key={f} name={f} onUploaded={(file) => setRaw((r) => ({ ...r, input: withField(r.input, f, file.id) }))} />
            ))}
            <label>Input (JSON) <textarea name="input" rows="6" value={raw.input} onInput={field(raw, setRaw, 'input')} /></label>
            <label>Priority <input name="priority" type="number" value={raw.priority} onInput={field(raw, setRaw, 'priority')} /></label>
          </>
        )}
        <button type="submit">Submit</button>
        <Err error={error} />
      </form>
    </section>
  );
}
