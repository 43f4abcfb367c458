package dev.kiln.common.metrics;

import java.util.Map;

/**
 * The HELP text of every Kiln metric, in one place: a meter built with a name missing here fails
 * at once (in the first test that records it), so no metric ships without one.
 */
final class MetricHelp {
  private MetricHelp() {}

  private static final Map<String, String> HELP = Map.ofEntries(
      Map.entry("kiln_tasks_submitted_total", "Tasks created (API, batch or schedule), by queue."),
      Map.entry("kiln_tasks_finished_total", "Tasks that ended, by queue and final status (completed, failed, timeout, cancelled)."),
      Map.entry("kiln_retries_total", "Attempts that failed and spent a retry, by queue."),
      Map.entry("kiln_timeouts_total", "Attempts stopped by their timeout, by queue."),
      Map.entry("kiln_task_wait_seconds", "From a task's creation to the start of an attempt, by queue."),
      Map.entry("kiln_task_run_seconds", "From the start to the end of an attempt, by queue."),
      Map.entry("kiln_dispatch_latency_seconds", "From a claim to the worker's acceptance of the attempt, by queue."),
      Map.entry("kiln_heartbeat_handling_seconds", "The leader's time to take in one worker heartbeat."),
      Map.entry("kiln_models_uploaded_total", "Models accepted by POST /models, by format."),
      Map.entry("kiln_model_downloads_total", "Model files sent whole by their signed URL, by format."),
      Map.entry("kiln_model_interactions_total", "Likes and favorites toggled on (added) or off (removed)."),
      Map.entry("kiln_http_connections_closed_total", "HTTP connections the node closed to protect itself, by reason."),
      Map.entry("kiln_queue_depth", "Tasks in the queue by status (pending, retrying, running), sampled by the leader."),
      Map.entry("kiln_queue_running", "Tasks running in the queue, sampled by the leader."),
      Map.entry("kiln_queue_concurrency_limit", "The queue's max_concurrency: at most this many of its tasks run at once."),
      Map.entry("kiln_queue_oldest_waiting_age_seconds",
          "Age of the queue's oldest waiting task (pending since creation, or retrying since due); 0 when none waits."),
      Map.entry("kiln_queue_demand", "Tasks that want a slot now in the queue: waiting (pending, retrying due) plus running."),
      Map.entry("kiln_queue_slots", "Slots of the live, non-draining workers that take the queue (a worker on several queues counts in each)."),
      Map.entry("kiln_queue_saturation_ratio",
          "Autoscaling signal: min(demand, concurrency limit) / slots; above 1 wants more slots, +Inf when none serves a queue with work."),
      Map.entry("kiln_workers", "Live workers that take the queue, as the leader sees their heartbeats."),
      Map.entry("kiln_generation_requests", "Generation requests by status."),
      Map.entry("kiln_worker_slots", "Slots this worker advertises (healthy providers' slots)."),
      Map.entry("kiln_worker_slots_busy", "Attempts running in this worker's slots."),
      Map.entry("kiln_provider_up", "1 while the worker's inference server answers its health check, else 0."),
      Map.entry("kiln_gpu_memory_total_bytes", "Memory of the worker's GPU."),
      Map.entry("kiln_gpu_memory_used_bytes", "Memory in use on the worker's GPU."),
      Map.entry("kiln_gpu_utilization_percent", "The worker's GPU utilisation, 0-100."),
      Map.entry("kiln_schedule_fires_total", "Task config instants by outcome (on_time, caught_up, skipped, failed, manual)."),
      Map.entry("kiln_schedule_lag_seconds", "From a scheduled instant to its task's creation."),
      Map.entry("kiln_task_configs", "Task configs by scheduler type."),
      Map.entry("kiln_dispatcher_leader", "1 on the dispatcher that leads the cluster now, else 0."));

  static String of(String name) {
    String help = HELP.get(name);
    if (help == null) throw new IllegalArgumentException("metric " + name + " has no HELP text in MetricHelp");
    return help;
  }
}
