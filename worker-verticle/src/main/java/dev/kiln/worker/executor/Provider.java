package dev.kiln.worker.executor;

import java.util.List;

/**
 * A named source of executors: {@code demo} (the CPU stand-ins) and {@code debug} today,
 * {@code comfyui} and {@code http} later. The name travels in heartbeats and reports, so the
 * dispatcher and an operator can see who ran an attempt.
 */
public interface Provider {
  /** The provider's name as heartbeats and reports give it: lower case, such as {@code demo}. */
  String name();

  /** The executors it serves, one per {@code tool_action}. */
  List<Executor> executors();
}
