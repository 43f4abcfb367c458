// The one place the dashboard talks to Kiln: credentials, JSON calls, problem+json errors and
// Server-Sent Events read with fetch() (EventSource cannot send X-Auth-Key).

const AUTH_KEY = 'kiln.auth';

/** The stored credentials: {header: 'X-Auth-Key' | 'Authorization', value}, or null. */
export function credentials() {
  try {
    return JSON.parse(sessionStorage.getItem(AUTH_KEY));
  } catch {
    return null;
  }
}

export function signIn(header, value) {
  sessionStorage.setItem(AUTH_KEY, JSON.stringify({ header, value }));
}

export function signOut() {
  sessionStorage.removeItem(AUTH_KEY);
}

function authHeaders() {
  const c = credentials();
  return c ? { [c.header]: c.value } : {};
}

/** A failed call: the problem+json's title/detail/code, or the bare status. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code;
  }
}

/** Calls /api/v1{path}; resolves to the parsed JSON (null for 204), rejects with ApiError. */
export async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const init = { method, headers: { ...authHeaders(), ...headers } };
  if (body instanceof Blob) {
    init.body = body; // a file: sent as it is, under the Content-Type the caller gave
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch('/api/v1' + path, init);
  const text = await res.text();
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

/**
 * Uploads an input image (POST /files, the raw bytes with their own Content-Type): resolves to the
 * file ({id, width, height, url, ...}) whose id goes in an action's image field.
 */
export function upload(file) {
  return api('/files', { method: 'POST', body: file, headers: { 'Content-Type': file.type || 'application/octet-stream' } });
}

/** Query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}

/**
 * Follows an SSE stream under /api/v1{path}: onEvent({id, event, data}) for each event, onState(
 * 'live' | 'reconnecting' | 'ended') as the connection changes. Reconnects after a drop with
 * Last-Event-ID (lastEventId to start after one), as EventSource would, unless the server ended the stream on purpose (a task
 * stream ends after its terminal event; 204 says nothing is left). Returns a function that stops it.
 */
export function stream(path, { onEvent, onState = () => {}, reconnect = true, retryMs = 2000, lastEventId = null }) {
  const abort = new AbortController();
  let lastId = lastEventId;
  let stopped = false;

  async function once() {
    const headers = { ...authHeaders(), Accept: 'text/event-stream' };
    if (lastId) headers['Last-Event-ID'] = lastId;
    const res = await fetch('/api/v1' + path, { headers, signal: abort.signal });
    if (res.status === 204) return 'ended';
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
    onState('live');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return 'closed';
      buffer += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const ev = { id: null, event: 'message', data: '' };
        const data = [];
        for (const line of block.split('\n')) {
          if (!line || line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') ev.id = val;
          else if (field === 'event') ev.event = val;
          else if (field === 'data') data.push(val);
        }
        if (!data.length) continue;
        if (ev.id) lastId = ev.id;
        try {
          ev.data = JSON.parse(data.join('\n'));
        } catch {
          ev.data = data.join('\n');
        }
        onEvent(ev);
      }
    }
  }

  (async () => {
    while (!stopped) {
      let outcome;
      try {
        outcome = await once();
      } catch (e) {
        if (stopped) return;
        if (e instanceof ApiError && e.status < 500 && e.status !== 429) {
          onState('ended', e);
          return;
        }
        outcome = 'error';
      }
      if (stopped) return;
      if (outcome === 'ended' || (outcome === 'closed' && !reconnect)) {
        onState('ended');
        return;
      }
      onState('reconnecting');
      await new Promise((r) => setTimeout(r, retryMs));
    }
  })();

  return () => {
    stopped = true;
    abort.abort();
  };
}

export const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'timeout']);
