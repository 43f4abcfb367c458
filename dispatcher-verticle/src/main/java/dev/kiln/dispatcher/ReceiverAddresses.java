package dev.kiln.dispatcher;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;

/**
 * Which addresses a webhook may not be sent to (unless private receivers are allowed): every
 * range of the IANA IPv4 and IPv6 Special-Purpose Address Registries that is not a public host
 * (RFC 6890 and its updates), so a task's webhook_url cannot make Kiln call into its own network
 * (loopback, private, link-local, cloud metadata, carrier NAT, benchmarking, multicast...).
 *
 * <p>IPv6 forms that carry an IPv4 address are judged by it where the packet really goes there:
 * an IPv4-mapped {@code ::ffff:a.b.c.d} is that IPv4 host (Java usually hands it over as one), and
 * a NAT64 {@code 64:ff9b::a.b.c.d} is translated to it, so it is refused exactly when the IPv4
 * address would be, and a DNS64 network (which names every IPv4-only receiver that way) keeps
 * working. The other carriers (IPv4-compatible {@code ::/96}, IPv4-translated
 * {@code ::ffff:0:0:0/96}, local-use NAT64 {@code 64:ff9b:1::/48}, 6to4 {@code 2002::/16},
 * Teredo {@code 2001::/32}) are refused whole: deprecated or site-local, no receiver belongs
 * there, and whatever IPv4 address they hide cannot slip through. Beyond the registry, IPv6
 * outside {@code 2000::/3} (the only space allocated to hosts) is refused as well.
 */
final class ReceiverAddresses {
  /**
   * A network and its prefix length, matched on the address bytes. (Netty's IpSubnetFilterRule
   * is not used: for IPv6 it also matches any address whose prefix bits are all ones, so its
   * {@code fc00::/7} holds {@code fe80::1} and {@code ff02::1}.)
   */
  private record Range(String cidr, String name, byte[] network, int prefixBits) {
    boolean contains(byte[] a) {
      if (a.length != network.length) return false;
      int whole = prefixBits / 8, rest = prefixBits % 8;
      if (!Arrays.equals(a, 0, whole, network, 0, whole)) return false;
      int mask = (0xff << (8 - rest)) & 0xff;
      return rest == 0 || (a[whole] & mask) == (network[whole] & mask);
    }
  }

  private static final List<Range> V4 = List.of(
      range("0.0.0.0/8", "\"this network\""),
      range("10.0.0.0/8", "private-use"),
      range("100.64.0.0/10", "shared address space (carrier-grade NAT)"),
      range("127.0.0.0/8", "loopback"),
      range("169.254.0.0/16", "link-local (cloud metadata)"),
      range("172.16.0.0/12", "private-use"),
      range("192.0.0.0/24", "IETF protocol assignments"),
      range("192.0.2.0/24", "documentation (TEST-NET-1)"),
      range("192.88.99.0/24", "6to4 relay anycast"),
      range("192.168.0.0/16", "private-use"),
      range("198.18.0.0/15", "benchmarking"),
      range("198.51.100.0/24", "documentation (TEST-NET-2)"),
      range("203.0.113.0/24", "documentation (TEST-NET-3)"),
      range("224.0.0.0/4", "multicast"),
      range("240.0.0.0/4", "reserved (and 255.255.255.255, limited broadcast)"));

  /** First match wins: the narrow ranges come before the wide ones that hold them. */
  private static final List<Range> V6 = List.of(
      range("::1/128", "loopback"),
      range("::/128", "unspecified"),
      range("::/96", "IPv4-compatible"),
      range("::ffff:0:0:0/96", "IPv4-translated"),
      range("64:ff9b:1::/48", "local-use IPv4/IPv6 translation"),
      range("100::/64", "discard-only"),
      range("2001::/32", "Teredo"),
      range("2001::/23", "IETF protocol assignments"),
      range("2001:db8::/32", "documentation"),
      range("2002::/16", "6to4"),
      range("3fff::/20", "documentation"),
      range("5f00::/16", "segment routing (SRv6) SIDs"),
      range("fc00::/7", "unique-local"),
      range("fe80::/10", "link-local"),
      range("fec0::/10", "site-local (deprecated)"),
      range("ff00::/8", "multicast"));

  /** The only IPv6 space IANA hands out to hosts (RFC 4291); anything else is reserved, whatever comes later. */
  private static final Range GLOBAL_UNICAST = range("2000::/3", "the global unicast space");

  private static final byte[] MAPPED_PREFIX = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff};
  private static final byte[] NAT64_PREFIX = {0, 0x64, (byte) 0xff, (byte) 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};

  private ReceiverAddresses() {}

  /** Why {@code a} is no public receiver ("127.0.0.0/8 loopback"), or null when it is one. */
  static String refusal(InetAddress a) {
    if (a instanceof Inet6Address) {
      byte[] b = a.getAddress();
      Inet4Address embedded = embeddedWhereItGoes(b);
      if (embedded != null) {
        String why = refusal(embedded);
        return why == null ? null : (isMapped(b) ? "IPv4-mapped " : "NAT64 of ") + embedded.getHostAddress() + ", " + why;
      }
      String why = match(V6, a);
      if (why == null && !GLOBAL_UNICAST.contains(b)) why = "outside " + GLOBAL_UNICAST.cidr() + ", " + GLOBAL_UNICAST.name();
      return why;
    }
    return match(V4, a);
  }

  /** The IPv4 address a mapped or well-known-prefix NAT64 address delivers to, else null. */
  private static Inet4Address embeddedWhereItGoes(byte[] v6) {
    if (!isMapped(v6) && !Arrays.equals(v6, 0, 12, NAT64_PREFIX, 0, 12)) return null;
    try {
      return (Inet4Address) InetAddress.getByAddress(Arrays.copyOfRange(v6, 12, 16));
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // four bytes are always an IPv4 address
    }
  }

  private static boolean isMapped(byte[] v6) {
    return Arrays.equals(v6, 0, 12, MAPPED_PREFIX, 0, 12);
  }

  private static String match(List<Range> ranges, InetAddress a) {
    byte[] b = a.getAddress();
    for (Range r : ranges) if (r.contains(b)) return r.cidr() + " " + r.name();
    return null;
  }

  private static Range range(String cidr, String name) {
    String[] parts = cidr.split("/");
    try {
      // Literals only (never a DNS lookup); Java would turn a mapped literal into IPv4, and none is listed.
      byte[] network = InetAddress.getByName(parts[0]).getAddress();
      return new Range(cidr, name, network, Integer.parseInt(parts[1]));
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(cidr, e);
    }
  }
}
