// What a task event says about the task's status: the event's own status when it carries one.
const BY_EVENT = { created: 'pending', started: 'running', progress: 'running', retrying: 'retrying' };

export function statusAfter(ev) {
  return ev.data?.status || BY_EVENT[ev.event] || ev.event;
}
