#!/usr/bin/python3
"""vaktd speaks systemd's notify protocol: READY=1 with STATUS= after start, RELOADING=1 then
READY=1 on SIGHUP, WATCHDOG=1 from the event loop when WATCHDOG_USEC is set, STOPPING=1 on
SIGTERM. The test is the notify socket, as systemd would be."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

VAKTD = os.environ["VAKTD"]


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    tmp = tempfile.mkdtemp(prefix="vakt-notify.")
    os.chmod(tmp, 0o755)
    conf = os.path.join(tmp, "vakt.conf")
    with open(conf, "w") as f:
        f.write("[storage]\nmode = off\n[idle]\nmode = off\n[audit]\nmode = off\n")
    os.chmod(conf, 0o644)

    path = os.path.join(tmp, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)

    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="200000")
    env.pop("WATCHDOG_PID", None)
    proc = subprocess.Popen([VAKTD, "--config", conf, "--log-target", "json", "--state-dir",
                             os.path.join(tmp, "state"), "--runtime-dir",
                             os.path.join(tmp, "run")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    messages = []

    def collect(pred, timeout=10.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for m in messages:
                if pred(m):
                    return m
            try:
                messages.append(sock.recv(4096).decode())
            except socket.timeout:
                pass
        return None

    try:
        m = collect(lambda m: "READY=1" in m.split("\n"))
        if not m:
            fail("no READY=1; got %r" % messages)
        if not any(l.startswith("STATUS=") for l in m.split("\n")):
            fail("READY=1 without STATUS=: %r" % m)

        # At half of WATCHDOG_USEC, i.e. every 100 ms: expect several within a second.
        messages.clear()
        time.sleep(1.0)
        collect(lambda m: False, timeout=0.3)
        pings = sum(1 for m in messages if "WATCHDOG=1" in m.split("\n"))
        if pings < 3:
            fail("expected WATCHDOG=1 pings, got %d in %r" % (pings, messages))

        messages.clear()
        proc.send_signal(signal.SIGHUP)
        r = collect(lambda m: "RELOADING=1" in m.split("\n"))
        if not r:
            fail("no RELOADING=1 on SIGHUP: %r" % messages)
        if not any(l.startswith("MONOTONIC_USEC=") for l in r.split("\n")):
            fail("RELOADING=1 without MONOTONIC_USEC=: %r" % r)
        after = messages[messages.index(r) + 1:]
        messages[:] = after
        if not collect(lambda m: "READY=1" in m.split("\n")):
            fail("no READY=1 after the reload: %r" % messages)

        messages.clear()
        proc.send_signal(signal.SIGTERM)
        if not collect(lambda m: "STOPPING=1" in m.split("\n")):
            fail("no STOPPING=1 on SIGTERM: %r" % messages)
        rc = proc.wait(timeout=10)
        if rc != 0:
            fail("exit status %d after SIGTERM" % rc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sock.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok")


main()
