package dev.kiln.task.store;

/** A task's price is more than its owner's wallet holds: nothing was created (the API answers 402). */
public final class InsufficientCredits extends RuntimeException {
  public InsufficientCredits(String message) {
    super(message, null, false, false);
  }
}
