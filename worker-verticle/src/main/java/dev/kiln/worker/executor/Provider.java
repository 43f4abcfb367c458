package dev.kiln.worker.executor;

import io.vertx.core.Future;
import java.util.List;

/**
 * A named source of executors: {@code demo} (the CPU stand-ins), {@code debug}, and each server
 * of the providers file ({@code comfyui}, {@code http}). The name travels in heartbeats and
 * reports, so the dispatcher and an operator can see who ran an attempt.
 */
public interface Provider {
  /** The provider's name as heartbeats and reports give it: lower case, such as {@code demo}. */
  String name();

  /** The executors it serves, one per {@code tool_action}. */
  List<Executor> executors();

  /**
   * Attempts it runs at once (an inference server's own concurrency), or 0 when only the worker's
   * {@code KILN_WORKER_SLOTS} bound it, as for the in-process stand-ins.
   */
  default int slots() {
    return 0;
  }

  /**
   * Succeeds while its server answers (a ComfyUI's {@code /system_stats}); while it fails, the
   * worker takes the provider's slots and actions out of its heartbeat. Called on the event loop.
   */
  default Future<Void> health() {
    return Future.succeededFuture();
  }

  /** Frees its clients when the worker stops. */
  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
