package dev.kiln.common.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * TLS for the clustered event bus, the connections that carry hand-offs, reports, heartbeats and
 * progress between nodes: each node presents {@code keystore}'s certificate and accepts a peer
 * only if {@code truststore} trusts the certificate it presents (client authentication required),
 * so a process that can reach the bus port but holds no cluster certificate can neither read
 * nor send. Hazelcast's own port (membership and the bus's address book) has no such guard in
 * its open-source edition: it must stay on a private network.
 *
 * @param keystore this node's key and certificate, PKCS#12 ({@code KILN_CLUSTER_TLS_KEYSTORE})
 * @param keystorePassword {@code KILN_CLUSTER_TLS_KEYSTORE_PASSWORD}
 * @param truststore the certificates (or the CA) of the cluster's nodes, PKCS#12
 *     ({@code KILN_CLUSTER_TLS_TRUSTSTORE}); defaults to the keystore, for a cluster that shares one certificate
 * @param truststorePassword {@code KILN_CLUSTER_TLS_TRUSTSTORE_PASSWORD}; defaults to the keystore's
 */
public record ClusterTls(Path keystore, String keystorePassword, Path truststore, String truststorePassword) {

  /** Off (null) unless KILN_CLUSTER_TLS_KEYSTORE names a file. */
  public static ClusterTls from(Map<String, String> env) {
    String keystore = KilnConfig.blankToNull(env.get("KILN_CLUSTER_TLS_KEYSTORE"));
    if (keystore == null) {
      if (KilnConfig.blankToNull(env.get("KILN_CLUSTER_TLS_TRUSTSTORE")) != null) {
        throw new ConfigException("KILN_CLUSTER_TLS_TRUSTSTORE", "needs KILN_CLUSTER_TLS_KEYSTORE too");
      }
      return null;
    }
    Path key = readable("KILN_CLUSTER_TLS_KEYSTORE", keystore);
    String keyPassword = env.getOrDefault("KILN_CLUSTER_TLS_KEYSTORE_PASSWORD", "");
    String trust = KilnConfig.blankToNull(env.get("KILN_CLUSTER_TLS_TRUSTSTORE"));
    return new ClusterTls(key, keyPassword, trust == null ? key : readable("KILN_CLUSTER_TLS_TRUSTSTORE", trust),
        trust == null ? keyPassword : env.getOrDefault("KILN_CLUSTER_TLS_TRUSTSTORE_PASSWORD", ""));
  }

  private static Path readable(String name, String value) {
    Path p = Path.of(value);
    if (!Files.isReadable(p)) throw new ConfigException(name, "cannot read '" + value + "'");
    return p;
  }
}
