package dev.kiln.common.asset;

import java.io.IOException;

/**
 * No node that holds the asset store answered in time (none is up, or the one asked died or was
 * cut off). Unlike a missing asset, it may pass: an attempt that meets it is retried.
 */
public final class AssetStoreUnavailable extends IOException {
  public AssetStoreUnavailable(String message, Throwable cause) {
    super(message, cause);
  }
}
