package dev.kiln.task.store;

import java.util.List;

/** How a delete went: the task runs (nothing changed), or it is in the recycle bin (cancelled on the way if it waited). */
public record Deleted(boolean running, List<Cancelled> cancelled) {}
