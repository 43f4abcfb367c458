package dev.kiln.task.schedule;

import java.util.Optional;

/**
 * What becomes of the instants a config missed, those more than the misfire grace late when a
 * leading dispatcher first sees them (none led, or it was down): instants less late always fire.
 */
public enum MisfirePolicy {
  /** The missed instants are made up by one run: the latest of them fires, unless a less late instant fires anyway. */
  FIRE_ONCE("fire_once"),
  /** The missed instants are dropped; the schedule goes on from the next one. */
  SKIP("skip");

  public static final MisfirePolicy DEFAULT = FIRE_ONCE;

  private final String value;

  MisfirePolicy(String value) {
    this.value = value;
  }

  public String value() {
    return value;
  }

  public static Optional<MisfirePolicy> of(String value) {
    for (MisfirePolicy p : values()) {
      if (p.value.equals(value)) return Optional.of(p);
    }
    return Optional.empty();
  }
}
