package dev.kiln.common.config;

/** A configuration value Kiln cannot start with; the message is the one line printed at start-up. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String variable, String problem) {
    super(variable + ": " + problem);
  }
}
