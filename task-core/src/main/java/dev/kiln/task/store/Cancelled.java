package dev.kiln.task.store;

import dev.kiln.task.TaskEvent;

/** A task an owner cancelled while it waited: the queue it waited in, and its event. */
public record Cancelled(String queue, TaskEvent event) {}
