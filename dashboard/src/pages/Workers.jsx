import { api } from '../api.js';
import { ActionButton, Err, Time, useLoad } from '../ui.jsx';

/** MiB as GiB, or a dash where the worker does not know (no GPU, or one that does not report it). */
function gib(mb) {
  return mb === null || mb === undefined ? '—' : `${(mb / 1024).toFixed(1)} GiB`;
}

/** GET /admin/workers every 2 s (the GPU's use is its probe's, every 10 s); drain through POST /admin/workers/{id}/drain. */
export function Workers() {
  const [workers, error, reload] = useLoad(() => api('/admin/workers').then((r) => r.items), [], 2000);

  function drain(w) {
    if (!confirm(`Drain ${w.id}? It finishes what it runs and takes nothing new.`)) return Promise.resolve();
    return api(`/admin/workers/${encodeURIComponent(w.id)}/drain`, { method: 'POST' }).then(reload);
  }

  return (
    <section>
      <h1>Workers</h1>
      <Err error={error} />
      {workers && !workers.length && <p class="muted">No worker has joined.</p>}
      <table>
        <thead>
          <tr><th>worker</th><th>host</th><th>status</th><th>GPU</th><th>memory used / total</th><th>utilisation</th><th>running / slots</th>
            <th>queues</th><th>heartbeat</th><th /></tr>
        </thead>
        <tbody>
          {(workers || []).map((w) => (
            <tr data-worker={w.id}>
              <td>{w.id}</td>
              <td>{w.host}</td>
              <td data-field="status">{w.status}</td>
              <td>{w.gpu_name || <span class="muted">none</span>}</td>
              <td data-field="gpu-memory">{gib(w.gpu_memory_used_mb)} / {gib(w.gpu_memory_mb)}</td>
              <td data-field="gpu-utilization">{w.gpu_utilization_percent === null || w.gpu_utilization_percent === undefined
                ? '—'
                : <><meter min="0" max="100" value={w.gpu_utilization_percent} /> {w.gpu_utilization_percent}%</>}</td>
              <td><meter min="0" max={w.slots} value={w.running} /> {w.running} / {w.slots}</td>
              <td>{(w.queues || []).join(', ')}</td>
              <td><Time at={w.last_heartbeat_at} /></td>
              <td class="actions">
                <ActionButton action={() => drain(w)} disabled={w.status !== 'active'}>Drain</ActionButton>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
