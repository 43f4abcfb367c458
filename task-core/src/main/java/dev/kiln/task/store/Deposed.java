package dev.kiln.task.store;

/** A leader's write refused by the fence: a newer leader holds the epoch. */
public final class Deposed extends RuntimeException {
  public Deposed(long epoch, long current) {
    super("deposed: epoch " + epoch + " is no longer the lead (now " + current + ")", null, false, false);
  }
}
