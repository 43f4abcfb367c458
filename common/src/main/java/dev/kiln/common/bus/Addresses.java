package dev.kiln.common.bus;

/**
 * The event-bus contract between roles. Every message is JSON. The bus delivers at most once:
 * each message here is either a hint backed by Postgres state that a sweep repairs, or is
 * retried until acknowledged.
 */
public final class Addresses {
  private Addresses() {}

  /** Published by HTTP after a task commits: {@code {queue}}. A wake-up hint only. */
  public static final String TASKS_CREATED = "kiln.tasks.created";
  /** Published by workers: live progress {@code {task_id, attempt, progress, message}}. */
  public static final String TASKS_PROGRESS = "kiln.tasks.progress";
  /** Published by whoever wrote a task_events row, after commit: the event and its task's owner (TaskEvent), for SSE. */
  public static final String TASKS_EVENTS = "kiln.tasks.events";
  /** Published by workers every heartbeat: registration and liveness ({@code {worker_id, host, node_id, queues, slots, running, draining, ...}}). */
  public static final String WORKERS_HEARTBEAT = "kiln.workers.heartbeat";
  /** A worker that stopped (drained, its reports sent): request/reply to the leader, which marks it offline. */
  public static final String WORKERS_STOPPED = "kiln.workers.stopped";
  /** Request/reply to the leading dispatcher: a worker's outcome, repeated until acknowledged. */
  public static final String DISPATCHER_RESULTS = "kiln.dispatcher.results";

  /**
   * Request/reply to the leading dispatcher: stop a running attempt for its owner,
   * {@code {task_id, attempt}}; the reply says whether the cancel won ({@code {cancelled}}).
   */
  public static final String DISPATCHER_CANCEL = "kiln.dispatcher.cancel";

  /** Published by HTTP when an admin revokes an API key: {@code {api_client_id}}; every node forgets it. */
  public static final String CLIENTS_REVOKED = "kiln.clients.revoked";

  /** Published by the HTTP role when a signed-in session ends (logout): every node forgets it. */
  public static final String SESSIONS_REVOKED = "kiln.sessions.revoked";

  /** Published by HTTP after an admin changed a queue_configs row: {@code {queue}}. A hint. */
  public static final String QUEUES_CHANGED = "kiln.queues.changed";

  /** Published by HTTP after an admin made, changed or deleted a task config: {@code {id}}. A hint; the leader rereads that one. */
  public static final String TASK_CONFIGS_CHANGED = "kiln.task-configs.changed";

  /**
   * Local to each node: the cluster manager saw a member leave, {@code {node_id}}. The leader
   * takes the workers that heartbeat from that member for gone at once, not a lease later.
   */
  public static final String CLUSTER_NODE_LEFT = "kiln.cluster.node-left";

  /**
   * Request/reply to any node that holds the asset store (HTTP role), from a worker with
   * KILN_WORKER_ASSETS=cluster: one chunk of an asset, {@code {worker_id, key, offset, max_bytes}},
   * answered with the bytes as a Buffer (headers in {@link dev.kiln.common.asset.AssetWire}).
   */
  public static final String ASSETS_READ = "kiln.assets.read";

  /**
   * Request/reply to any store node: the first chunk of an asset a worker writes, a Buffer with
   * its key and size in headers. When more chunks follow, the reply names the node's
   * {@link #assetsUpload} address, which takes the rest (the part file is that node's).
   */
  public static final String ASSETS_WRITE = "kiln.assets.write";

  /** Request/reply to the one store node that took an upload's first chunk: the next chunk. */
  public static String assetsUpload(String serviceId) {
    return "kiln.assets." + serviceId + ".upload";
  }

  /** Request/reply to one worker: stop taking work, finish what runs (reply {@code {worker_id, draining}}). */
  public static String workerDrain(String workerId) {
    return "kiln.worker." + workerId + ".drain";
  }

  /** Request/reply to one worker: run this attempt; the reply is the acceptance. */
  public static String workerRun(String workerId) {
    return "kiln.worker." + workerId + ".run";
  }

  /** Send to one worker: stop this attempt ({@code {task_id, attempt, reason}}). */
  public static String workerCancel(String workerId) {
    return "kiln.worker." + workerId + ".cancel";
  }
}
