package dev.kiln.common.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** KILN_CLUSTER_TLS_*: off unless a keystore is named; a bad value stops start-up naming the variable. */
class ClusterTlsTest {

  @Test
  void offUnlessAKeystoreIsNamedAndTheTruststoreDefaultsToIt() throws Exception {
    assertNull(ClusterTls.from(Map.of()));
    Path key = Files.createTempFile("kiln", ".p12");
    ClusterTls tls = ClusterTls.from(Map.of("KILN_CLUSTER_TLS_KEYSTORE", key.toString(), "KILN_CLUSTER_TLS_KEYSTORE_PASSWORD", "pw"));
    assertEquals(key, tls.truststore());
    assertEquals("pw", tls.truststorePassword());
  }

  @Test
  void aTruststoreAloneOrAFileThatCannotBeReadIsRefused() {
    ConfigException alone = assertThrows(ConfigException.class, () -> ClusterTls.from(Map.of("KILN_CLUSTER_TLS_TRUSTSTORE", "/x.p12")));
    assertTrue(alone.getMessage().contains("KILN_CLUSTER_TLS_TRUSTSTORE"), alone.getMessage());
    ConfigException missing = assertThrows(ConfigException.class,
        () -> ClusterTls.from(Map.of("KILN_CLUSTER_TLS_KEYSTORE", "/nowhere/kiln.p12")));
    assertTrue(missing.getMessage().contains("KILN_CLUSTER_TLS_KEYSTORE"), missing.getMessage());
  }
}
