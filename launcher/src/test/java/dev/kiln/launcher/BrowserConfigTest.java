package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.config.BrowserAccess;
import dev.kiln.common.config.ConfigException;
import dev.kiln.common.config.KilnConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** KILN_CORS_ORIGINS, KILN_PUBLIC_URL and KILN_STREAM_TOKEN_TTL_SECONDS: read once, a bad one stops start-up with one line. */
class BrowserConfigTest {
  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', value = {
      "KILN_CORS_ORIGINS|*",
      "KILN_CORS_ORIGINS|app.example.com",
      "KILN_CORS_ORIGINS|https://app.example.com/path",
      "KILN_CORS_ORIGINS|https://app.example.com?x=1",
      "KILN_CORS_ORIGINS|ftp://app.example.com",
      "KILN_CORS_ORIGINS|https://user@app.example.com",
      "KILN_CORS_ORIGINS|https://ok.example.com, http://bad host",
      "KILN_PUBLIC_URL|kiln.example.com",
      "KILN_PUBLIC_URL|https://kiln.example.com/?a=b",
      "KILN_STREAM_TOKEN_TTL_SECONDS|5",
      "KILN_STREAM_TOKEN_TTL_SECONDS|forever"})
  void aBadValueIsRefusedByNameInOneLine(String variable, String value) {
    ConfigException e = assertThrows(ConfigException.class, () -> KilnConfig.from(Map.of(variable, value)));
    assertTrue(e.getMessage().startsWith(variable + ": "), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void theDefaultsAreNoCorsRelativeUrlsAndFiveMinuteTokens() {
    BrowserAccess b = KilnConfig.from(Map.of()).api().browser();
    assertTrue(b.corsOrigins().isEmpty());
    assertFalse(b.cors());
    assertNull(b.publicUrl());
    assertEquals(BrowserAccess.DEFAULT_STREAM_TOKEN_TTL_SECONDS, b.streamTokenTtlSeconds());
    assertEquals(300, b.streamTokenTtlSeconds());
  }

  /** Origins are kept as a browser sends them in Origin, so the list matches exactly. */
  @Test
  void originsAreKeptInTheFormBrowsersSend() {
    BrowserAccess b = KilnConfig.from(Map.of("KILN_CORS_ORIGINS", " HTTPS://App.Example.com:443 , http://localhost:5173,https://x.example.com/",
        "KILN_PUBLIC_URL", "https://kiln.example.com/kiln/")).api().browser();
    assertEquals(List.of("https://app.example.com", "http://localhost:5173", "https://x.example.com"), b.corsOrigins());
    assertEquals("https://kiln.example.com/kiln", b.publicUrl(), "signed paths are appended to it");
    assertEquals("https://kiln.example.com", b.publicOrigin(), "the dashboard's CSP names the origin, not the prefix");
    assertEquals("http://127.0.0.1:8081", KilnConfig.from(Map.of("KILN_PUBLIC_URL", "HTTP://127.0.0.1:8081")).api().browser().publicOrigin());
    assertEquals(null, KilnConfig.from(Map.of()).api().browser().publicOrigin(), "relative URLs: the page's own origin");
  }
}
