#!/usr/bin/env python3
"""One network cable for NetLab: two TAP devices and this process between them.

netwire.py OUTER INNER NETNS makes TAP OUTER in this (the root) network namespace and TAP INNER
in NETNS, then carries every Ethernet frame from one to the other. It stands in for tc netem,
which this kernel lacks: on stdin it takes one command a line and answers "ok <command>" once
the command is in effect, so a test knows the fault is on before it goes on.

  pass                   carry everything (the default)
  drop out|in|both       lose every frame leaving NETNS (out), entering it (in), or both
  drop tcp-port PORT     lose TCP segments to or from PORT, both ways, and nothing else
  delay MS loss PCT      hold each frame, both ways, MS milliseconds, and lose PCT percent of them

The devices are not persistent: they go away with this process, and this process goes when
stdin closes (the test JVM is gone), so a killed test leaves no cable behind.
"""
import collections
import ctypes
import fcntl
import os
import random
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000
ETH_P_IP = 0x0800
IPPROTO_TCP = 6


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def enter_netns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/var/run/netns/" + name, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns " + name)
    os.close(fd)


def tcp_ports(frame):
    """(source port, destination port) of an IPv4 TCP frame, else None."""
    if len(frame) < 34 or struct.unpack_from("!H", frame, 12)[0] != ETH_P_IP or frame[23] != IPPROTO_TCP:
        return None
    ihl = (frame[14] & 0x0F) * 4
    if len(frame) < 14 + ihl + 4:
        return None
    return struct.unpack_from("!HH", frame, 14 + ihl)


class Fault:
    def __init__(self):
        self.drop_out = self.drop_in = False
        self.port = None
        self.delay_s = 0.0
        self.loss = 0.0

    def apply(self, words):
        f = Fault()
        if words == ["pass"]:
            pass
        elif len(words) == 2 and words[0] == "drop" and words[1] in ("out", "in", "both"):
            f.drop_out = words[1] in ("out", "both")
            f.drop_in = words[1] in ("in", "both")
        elif len(words) == 3 and words[:2] == ["drop", "tcp-port"]:
            f.port = int(words[2])
        elif len(words) == 4 and words[0] == "delay" and words[2] == "loss":
            f.delay_s = int(words[1]) / 1000.0
            f.loss = float(words[3]) / 100.0
        else:
            raise ValueError("unknown command: " + " ".join(words))
        return f

    def lost(self, frame, outward):
        if self.drop_out if outward else self.drop_in:
            return True
        if self.port is not None:
            ports = tcp_ports(frame)
            if ports is not None and self.port in ports:
                return True
        return self.loss > 0 and random.random() < self.loss


def main():
    outer_name, inner_name, netns = sys.argv[1:4]
    outer = open_tap(outer_name)
    enter_netns(netns)
    inner = open_tap(inner_name)
    fault = Fault()
    # frames in flight each way, oldest first: (due, frame); a constant delay keeps them in order
    held = {outer: collections.deque(), inner: collections.deque()}
    print("ready", flush=True)
    stdin = sys.stdin.fileno()
    commands = b""
    while True:
        now = time.monotonic()
        for dst, queue in held.items():
            while queue and queue[0][0] <= now:
                try:
                    os.write(dst, queue.popleft()[1])
                except OSError:
                    pass  # the device is not up yet, or its queue is full: a lost frame, as on a wire
        due = [q[0][0] for q in held.values() if q]
        timeout = max(0.0, min(due) - now) if due else None
        readable, _, _ = select.select([outer, inner, stdin], [], [], timeout)
        for fd in readable:
            if fd == stdin:
                chunk = os.read(stdin, 4096)
                if not chunk:
                    return  # the test is gone: so is the cable
                commands += chunk
                while b"\n" in commands:
                    line, commands = commands.split(b"\n", 1)
                    try:
                        fault = fault.apply(line.decode().split())
                        print("ok " + line.decode().strip(), flush=True)
                    except ValueError as e:
                        print("error " + str(e), flush=True)
                continue
            while True:
                try:
                    frame = os.read(fd, 65536)
                except BlockingIOError:
                    break
                outward = fd == inner
                if not fault.lost(frame, outward):
                    held[outer if outward else inner].append((time.monotonic() + fault.delay_s, frame))


if __name__ == "__main__":
    main()
