package dev.kiln.task.store;

import dev.kiln.task.schedule.FirePlan;
import java.util.List;

/**
 * What a config's fire did: the config as it is after it (null when it was deleted), the plan
 * (null when the config is not scheduled any more: inactive, MANUAL, or with no instant to come)
 * and the tasks created, oldest instant first; the caller announces them after commit.
 */
public record Fired(long configId, TaskConfig config, FirePlan plan, List<Created> created) {}
