package dev.kiln.task.store;

import dev.kiln.task.TaskEvent;

/** A task its owner retried: the queue it waits in again, and its event. */
public record Retried(String queue, TaskEvent event) {}
