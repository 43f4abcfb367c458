package dev.kiln.common.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** KILN_DEMO_PROVIDERS; the rest of the configuration is tested with the launcher that reads it. */
class KilnConfigTest {
  @Test
  void theDemoProvidersAreOnUnlessTurnedOff() {
    assertTrue(KilnConfig.from(Map.of()).demoProviders());
    assertTrue(KilnConfig.from(Map.of("DATABASE_URL", "postgresql://kiln:kiln@db:5432/kiln")).demoProviders(),
        "unlike the debug executors, a real database leaves them on");
    assertFalse(KilnConfig.from(Map.of("KILN_DEMO_PROVIDERS", "false")).demoProviders());
    assertFalse(KilnConfig.from(Map.of("KILN_DEMO_PROVIDERS", "off")).demoProviders());
    ConfigException e = assertThrows(ConfigException.class, () -> KilnConfig.from(Map.of("KILN_DEMO_PROVIDERS", "maybe")));
    assertTrue(e.getMessage().startsWith("KILN_DEMO_PROVIDERS: "), e.getMessage());
  }

  @Test
  void copiesKeepTheSetting() {
    KilnConfig off = KilnConfig.from(Map.of("KILN_DEMO_PROVIDERS", "false"));
    assertFalse(off.withAdminKey("0123456789abcdef").demoProviders());
    assertFalse(off.withStores("postgresql://a@b/c", "redis://r:6379").demoProviders());
  }

  @Test
  void aWorkersAssetTransportAndItsTimeout() {
    WorkerHost dflt = KilnConfig.from(Map.of()).workerHost();
    assertTrue(dflt.assets() == WorkerHost.AssetTransport.LOCAL && dflt.assetsTimeoutMs() == WorkerHost.DEFAULT_ASSETS_TIMEOUT_MS);
    WorkerHost cluster = KilnConfig.from(Map.of("KILN_WORKER_ASSETS", "cluster", "KILN_WORKER_ASSETS_TIMEOUT_MS", "2500")).workerHost();
    assertTrue(cluster.assets() == WorkerHost.AssetTransport.CLUSTER && cluster.assetsTimeoutMs() == 2500);
    ConfigException e = assertThrows(ConfigException.class, () -> KilnConfig.from(Map.of("KILN_WORKER_ASSETS_TIMEOUT_MS", "0")));
    assertTrue(e.getMessage().startsWith("KILN_WORKER_ASSETS_TIMEOUT_MS"), e.getMessage());
  }
}
