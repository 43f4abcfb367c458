// Small pieces every page uses: loading a value (and reloading it), errors, times, statuses.
import { useCallback, useEffect, useState } from 'preact/hooks';

/** Runs load() now, again on reload(), and every pollMs if given; [value, error, reload]. */
export function useLoad(load, deps = [], pollMs = 0) {
  const [value, setValue] = useState(null);
  const [error, setError] = useState(null);
  const reload = useCallback(() => load().then((v) => {
    setValue(v);
    setError(null);
  }, setError), deps);
  useEffect(() => {
    reload();
    if (!pollMs) return undefined;
    const t = setInterval(reload, pollMs);
    return () => clearInterval(t);
  }, [reload, pollMs]);
  return [value, error, reload];
}

export function Err({ error }) {
  if (!error) return null;
  return <p class="error" role="alert">{error.message}{error.code ? ` (${error.code})` : ''}</p>;
}

export function Time({ at }) {
  if (!at) return <span class="muted">—</span>;
  const d = new Date(at);
  return <time datetime={at} title={at}>{d.toLocaleString()}</time>;
}

export function Status({ status }) {
  // Tasks say completed, generation requests and models COMPLETED: one colour for both.
  return <span class={`status status-${String(status).toLowerCase()}`} data-status={status}>{status}</span>;
}

export function Progress({ value }) {
  return <progress max="100" value={value ?? 0} title={`${value ?? 0}%`} />;
}

/** Calls action(), showing an error beside the button instead of throwing. */
export function ActionButton({ action, children, ...rest }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  async function run() {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button {...rest} disabled={busy || rest.disabled} onClick={run}>{children}</button>
      {error && <span class="error">{error.message}</span>}
    </>
  );
}

/**
 * One file of a task as a figure: an image shown (and opened at full size), anything else a
 * link. Takes an entry of result.outputs ({url, kind, mime_type, width, height, size_bytes}) or
 * of GET /tasks/{id}/assets (asset_type for kind).
 */
export function FileFigure({ file, alt, children }) {
  const kind = file.kind || file.asset_type;
  return (
    <figure data-asset={kind} data-mime={file.mime_type}>
      {file.mime_type?.startsWith('image/')
        ? <a href={file.url} target="_blank" rel="noopener"><img src={file.url} alt={alt || `${kind} ${file.file_name || ''}`} /></a>
        : <a href={file.url}>{file.file_name || file.mime_type || file.asset_id || file.id}</a>}
      <figcaption>
        {children || kind}{' · '}{file.width ? `${file.width}×${file.height} · ` : ''}
        {file.size_bytes !== undefined && file.size_bytes !== null ? `${Math.round(file.size_bytes / 1024)} KiB` : ''}
      </figcaption>
    </figure>
  );
}
