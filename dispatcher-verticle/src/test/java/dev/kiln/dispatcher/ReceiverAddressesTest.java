package dev.kiln.dispatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The special-purpose ranges a webhook may not go to, edge to edge, and public hosts that may. Pure, in milliseconds. */
class ReceiverAddressesTest {
  /** Every range of the IANA special-purpose registries that Kiln refuses, as its registry writes it. */
  private static final List<String> REFUSED = List.of(
      "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
      "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
      "224.0.0.0/4", "240.0.0.0/4",
      "::1/128", "::/128", "::/96", "::ffff:0:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001::/32", "2001:10::/28", "2001:20::/28",
      "2001:db8::/32", "2002::/16", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8");

  private static final List<String> PUBLIC = List.of(
      "93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:2800:220:1::", "2a00:1450:4001:82a::200e",
      // Just outside a refused range.
      "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0", "126.255.255.255", "128.0.0.0", "169.253.255.255",
      "172.15.255.255", "172.32.0.0", "192.0.1.0", "192.0.3.0", "192.88.98.255", "192.88.100.0", "192.167.255.255",
      "192.169.0.0", "198.17.255.255", "198.20.0.0", "198.51.99.255", "203.0.112.255", "203.0.114.0", "223.255.255.255",
      "2001:200::", "2001:db7:ffff::", "2001:db9::", "2003::", "3ffe:ffff::", "3fff:1000::",
      // A mapped or NAT64 form of a public IPv4 host is that host (DNS64 names every IPv4-only receiver so).
      "::ffff:93.184.216.34", "64:ff9b::93.184.216.34", "64:ff9b::8.8.8.8");

  private static InetAddress ip(String literal) throws Exception {
    return InetAddress.getByName(literal);
  }

  private static byte[] edge(String cidr, boolean last) throws Exception {
    String[] p = cidr.split("/");
    byte[] net = ip(p[0]).getAddress();
    int bits = net.length * 8, prefix = Integer.parseInt(p[1]);
    BigInteger host = BigInteger.ONE.shiftLeft(bits - prefix).subtract(BigInteger.ONE);
    BigInteger n = new BigInteger(1, net);
    byte[] raw = (last ? n.or(host) : n).toByteArray();
    byte[] out = new byte[net.length];
    int copy = Math.min(raw.length, out.length);
    System.arraycopy(raw, raw.length - copy, out, out.length - copy, copy);
    return out;
  }

  /** The address from its bytes, kept IPv6 even where Java would turn a mapped one into IPv4. */
  private static InetAddress of(byte[] b) throws Exception {
    return b.length == 16 ? Inet6Address.getByAddress(null, b, null) : InetAddress.getByAddress(b);
  }

  @Test
  void theFirstAndLastAddressOfEverySpecialRangeAreRefused() throws Exception {
    for (String cidr : REFUSED) {
      for (boolean last : new boolean[] {false, true}) {
        InetAddress a = of(edge(cidr, last));
        String why = ReceiverAddresses.refusal(a);
        assertNotNull(why, cidr + ": " + a.getHostAddress() + " must be refused");
      }
    }
    assertEquals("255.255.255.255", of(edge("240.0.0.0/4", true)).getHostAddress(), "limited broadcast is in 240/4");
  }

  @Test
  void publicHostsOfEitherFamilyAreAccepted() throws Exception {
    for (String p : PUBLIC) assertNull(ReceiverAddresses.refusal(ip(p)), p + " is a public address");
  }

  @Test
  void ipv6OutsideTheGlobalUnicastSpaceIsRefused() throws Exception {
    for (String a : List.of("::1:0:0:0", "1::", "1fff:ffff::", "4000::", "5eff::", "fbff::", "fe00::")) {
      assertEquals("outside 2000::/3, the global unicast space", ReceiverAddresses.refusal(ip(a)), a);
    }
  }

  @Test
  void aRefusalNamesTheRange() throws Exception {
    assertEquals("127.0.0.0/8 loopback", ReceiverAddresses.refusal(ip("127.0.0.1")));
    assertEquals("198.18.0.0/15 benchmarking", ReceiverAddresses.refusal(ip("198.19.255.1")));
    assertEquals("2001::/32 Teredo", ReceiverAddresses.refusal(ip("2001:0:4136:e378:8000:63bf:3fff:fdd2")));
    assertEquals("::1/128 loopback", ReceiverAddresses.refusal(ip("::1")));
    assertEquals("::/96 IPv4-compatible", ReceiverAddresses.refusal(ip("::127.0.0.1")));
    assertEquals("fe80::/10 link-local", ReceiverAddresses.refusal(ip("fe80::1")));
    assertEquals("ff00::/8 multicast", ReceiverAddresses.refusal(ip("ff02::1")), "not fc00::/7, as Netty's rule would say");
  }

  /** Every way IPv6 spells an IPv4 address that is refused, in the forms the hostile tester sent, is refused too. */
  @Test
  void ipv6FormsOfAnInternalIpv4AddressAreRefused() throws Exception {
    List<String> forms = List.of("::127.0.0.1", "::ffff:0:127.0.0.1", "::ffff:127.0.0.1", "64:ff9b::127.0.0.1",
        "64:ff9b::10.0.0.1", "64:ff9b::169.254.169.254", "64:ff9b:1::7f00:1", "2002:7f00:1::", "2002:5db8:d822::1",
        "::", "::1", "::0.0.0.1", "::ffff:0.0.0.0", "64:ff9b::0.0.0.0", "64:ff9b::224.0.0.1");
    for (String f : forms) assertNotNull(ReceiverAddresses.refusal(ip(f)), f + " must be refused");

    // Java hands "::ffff:a.b.c.d" over as the IPv4 address; built from its 16 bytes it stays IPv6: both refused.
    assertInstanceOf(java.net.Inet4Address.class, ip("::ffff:127.0.0.1"));
    byte[] mapped = new byte[16];
    mapped[10] = (byte) 0xff;
    mapped[11] = (byte) 0xff;
    mapped[12] = 127;
    mapped[15] = 1;
    InetAddress v6 = of(mapped);
    assertInstanceOf(Inet6Address.class, v6);
    String why = ReceiverAddresses.refusal(v6);
    assertEquals("IPv4-mapped 127.0.0.1, 127.0.0.0/8 loopback", why);
    assertEquals("NAT64 of 169.254.169.254, 169.254.0.0/16 link-local (cloud metadata)",
        ReceiverAddresses.refusal(ip("64:ff9b::a9fe:a9fe")));
    byte[] mappedPublic = Arrays.copyOf(mapped, 16);
    mappedPublic[12] = 93;
    mappedPublic[13] = (byte) 184;
    mappedPublic[14] = (byte) 216;
    mappedPublic[15] = 34;
    assertNull(ReceiverAddresses.refusal(of(mappedPublic)));
    assertTrue(ReceiverAddresses.refusal(ip("::ffff:0:127.0.0.1")).startsWith("::ffff:0:0:0/96"));
  }
}
