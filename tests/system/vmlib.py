"""Drive the vakt system-test guest: QEMU, QMP, qemu-guest-agent and typed console sessions.

    vm = VM(cache_dir, work_dir)
    vm.boot()                                  # throw-away overlay over base.qcow2, waits for agent
    vm.qmp("device_add", driver="usb-kbd", bus="xhci.0", id="kbd1")
    rc, out, err = vm.guest_exec("journalctl -o json -u vaktd")
    vm.file_write("/etc/vakt/vakt.conf", b"...")
    out, rc = vm.console_run("hvc1", "sudo id")   # bob's autologin session: loginuid set
    vm.shutdown()                              # ends only the QEMU process this object started

Guest agent processes have no loginuid; typed console commands run in real logind sessions
(alice on hvc0 and tty1, bob on hvc1).

Debugging by hand:  python3 tests/system/vmlib.py shell   (boots, prints the sockets, waits)
"""
import base64
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time


class VMError(Exception):
    pass


def _die_with_parent():
    """In the QEMU child: SIGTERM when the test driver dies, however it dies (no orphaned guest)."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


def wait_for(cond, timeout=30.0, interval=0.5, what="condition"):
    """Calls cond() until it returns something truthy; returns that value, or None at timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            v = cond()
        except VMError:
            v = None
        if v:
            return v
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


class _JsonChannel:
    """A line-oriented JSON connection to a QEMU unix socket (QMP or the guest agent)."""

    def __init__(self, path, timeout=10.0):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.events = []

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, obj):
        self.sock.sendall(json.dumps(obj).encode() + b"\n")

    def recv(self, timeout):
        """Next JSON object, or None at timeout."""
        deadline = time.monotonic() + timeout
        while True:
            # The agent prefixes the answer to guest-sync-delimited with 0xff.
            self.buf = self.buf.lstrip(b"\xff")
            nl = self.buf.find(b"\n")
            if nl >= 0:
                line, self.buf = self.buf[:nl], self.buf[nl + 1:]
                line = line.strip().lstrip(b"\xff")
                if not line:
                    continue
                try:
                    return json.loads(line)
                except ValueError:
                    continue
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return None
            data = self.sock.recv(65536)
            if not data:
                raise VMError("%s: connection closed" % self.path)
            self.buf += data


class _Console:
    """A virtconsole's chardev socket: everything the guest writes is kept in self.data."""

    def __init__(self, name, path):
        self.name = name
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.data = bytearray()
        self.lock = threading.Lock()
        self.closed = False
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()

    def _reader(self):
        while not self.closed:
            try:
                d = self.sock.recv(65536)
            except OSError:
                break
            if not d:
                break
            with self.lock:
                self.data += d

    def text(self, start=0):
        with self.lock:
            return bytes(self.data[start:]).decode("utf-8", "replace")

    def pos(self):
        with self.lock:
            return len(self.data)

    def write(self, s):
        self.sock.sendall(s.encode())

    def close(self):
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
            self.sock.close()
        except OSError:
            pass


class VM:
    # virtconsoles in order: alice's and bob's autologin sessions; hvc2 has no getty, the idle
    # tests start a text session on it (start_text_session) and read what is written to it.
    CONSOLES = ("hvc0", "hvc1", "hvc2")

    def __init__(self, cache, work, mem="2G", smp=2, accel=None, verbose=False):
        self.cache = cache
        self.work = work
        self.mem = mem
        self.smp = smp
        # TCG: KVM on these (nested) hosts fails or hangs; VAKT_SYSTEM_ACCEL=kvm|auto elsewhere.
        self.accel = accel or os.environ.get("VAKT_SYSTEM_ACCEL", "tcg")
        self.verbose = verbose or bool(os.environ.get("VAKT_SYSTEM_VERBOSE"))
        self.proc = None
        self.qmp_ch = None
        self.qga_ch = None
        self.consoles = {}
        self.qmp_events = []
        self._sync_id = int(time.time()) % 100000
        self._marker = 0
        os.makedirs(work, exist_ok=True)

    def log(self, msg):
        if self.verbose:
            sys.stderr.write("vm: %s\n" % msg)

    def path(self, name):
        return os.path.join(self.work, name)

    # ---- lifecycle -------------------------------------------------------------------------
    def boot(self, timeout=600):
        t0 = time.monotonic()
        overlay = self.path("overlay.qcow2")
        for f in ("overlay.qcow2", "qmp.sock", "qga.sock", "serial.log", *(c + ".sock" for c in self.CONSOLES)):
            try:
                os.unlink(self.path(f))
            except FileNotFoundError:
                pass
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                        os.path.join(self.cache, "base.qcow2"), overlay], check=True)
        accel = ["-accel", "kvm", "-accel", "tcg"] if self.accel == "auto" else ["-accel", self.accel]
        cpu = os.environ.get("VAKT_SYSTEM_CPU", "max")
        cmd = ["qemu-system-x86_64", "-nodefaults", "-no-user-config", *accel,
               "-machine", "q35", "-cpu", cpu, "-m", self.mem, "-smp", str(self.smp),
               "-display", "none", "-vga", "std", "-nic", "none",
               "-kernel", os.path.join(self.cache, "vmlinuz"),
               "-initrd", os.path.join(self.cache, "initrd.img"),
               "-append", "root=/dev/vda rw console=ttyS0 loglevel=4 systemd.show_status=0 "
                          "audit=1 net.ifnames=0 mitigations=off tsc=reliable",
               "-drive", "file=%s,if=virtio,format=qcow2,cache=unsafe,discard=unmap" % overlay,
               "-serial", "file:%s" % self.path("serial.log"),
               "-device", "qemu-xhci,id=xhci",
               # An empty PCIe slot: a second USB controller hotplugged there plays a dock.
               "-device", "pcie-root-port,id=dock,chassis=1,slot=1",
               # A PCI SD host controller (sdhci-pci, as built into laptops) with an empty card
               # slot: blockdev-change-medium inserts a card, eject takes it out (SdCard).
               "-device", "sdhci-pci,id=sdhci",
               "-drive", "if=none,id=sdcard",
               "-device", "sd-card,drive=sdcard,id=sd0",
               "-qmp", "unix:%s,server=on,wait=off" % self.path("qmp.sock"),
               "-device", "virtio-serial-pci,id=vser"]
        for i, c in enumerate(self.CONSOLES):
            cmd += ["-chardev", "socket,id=%s,path=%s,server=on,wait=off,logfile=%s"
                    % (c, self.path(c + ".sock"), self.path(c + ".log")),
                    "-device", "virtconsole,bus=vser.0,chardev=%s,nr=%d" % (c, i)]
        cmd += ["-chardev", "socket,id=qga,path=%s,server=on,wait=off" % self.path("qga.sock"),
                "-device", "virtserialport,bus=vser.0,chardev=qga,name=org.qemu.guest_agent.0"]
        self.log(" ".join(cmd))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=open(self.path("qemu.log"), "wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     preexec_fn=_die_with_parent)
        if not wait_for(lambda: self.proc.poll() is None and os.path.exists(self.path("qmp.sock"))
                        and os.path.exists(self.path("qga.sock")), 30, 0.1):
            raise VMError("QEMU did not start: " + open(self.path("qemu.log")).read()[-2000:])
        self.qmp_ch = _JsonChannel(self.path("qmp.sock"))
        greeting = self.qmp_ch.recv(10)
        if not greeting or "QMP" not in greeting:
            raise VMError("no QMP greeting")
        self.qmp("qmp_capabilities")
        for c in self.CONSOLES:
            self.consoles[c] = _Console(c, self.path(c + ".sock"))
        # The guest agent answers once systemd started it (udev sees its virtio port).
        left = timeout - (time.monotonic() - t0)
        if not wait_for(self._agent_sync, left, 1):
            raise VMError("guest agent did not answer within %d s; see %s"
                          % (timeout, self.path("serial.log")))
        self.log("agent up after %.1f s" % (time.monotonic() - t0))
        self.guest_exec("systemctl is-system-running --wait", timeout=max(60, left))
        self.boot_seconds = time.monotonic() - t0
        return self.boot_seconds

    def reboot(self, timeout=600):
        """Reboots the guest (same QEMU, same disk) and waits until it runs again; returns the
        seconds that took. The consoles' autologin sessions come back on their own."""
        t0 = time.monotonic()
        boot_id = "cat /proc/sys/kernel/random/boot_id"
        before = self.guest_exec(boot_id)[1].strip()
        try:
            self.agent("guest-exec", path="/bin/systemctl", arg=["reboot"])
        except (VMError, OSError):
            pass  # the agent may go down before it answers

        def new_boot():
            return self._agent_sync() and \
                self.guest_exec(boot_id, timeout=10)[1].strip() not in ("", before)
        if not wait_for(new_boot, timeout, 2):
            raise VMError("the guest did not come back within %d s after a reboot" % timeout)
        self.guest_exec("systemctl is-system-running --wait",
                        timeout=max(60, timeout - (time.monotonic() - t0)))
        return time.monotonic() - t0

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def shutdown(self, timeout=30):
        """Ends the QEMU process this object started (and only it)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.qmp("quit")
            except Exception:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        for c in self.consoles.values():
            c.close()
        for ch in (self.qmp_ch, self.qga_ch):
            if ch:
                ch.close()
        self.proc = None
        try:
            os.unlink(self.path("overlay.qcow2"))
        except FileNotFoundError:
            pass

    # ---- QMP -------------------------------------------------------------------------------
    def qmp(self, command, timeout=30, **args):
        msg = {"execute": command}
        if args:
            msg["arguments"] = args
        self.log("qmp> %s" % json.dumps(msg))
        self.qmp_ch.send(msg)
        deadline = time.monotonic() + timeout
        while True:
            r = self.qmp_ch.recv(max(0.0, deadline - time.monotonic()))
            if r is None:
                raise VMError("QMP %s: no answer" % command)
            if "event" in r:
                self.qmp_events.append(r)
                continue
            self.log("qmp< %s" % json.dumps(r)[:500])
            if "error" in r:
                raise VMError("QMP %s: %s" % (command, r["error"].get("desc")))
            return r.get("return")

    def qmp_wait_event(self, name, timeout=30, match=None):
        def seen():
            for e in self.qmp_events:
                if e["event"] == name and (match is None or match(e.get("data", {}))):
                    self.qmp_events.remove(e)
                    return e
            r = self.qmp_ch.recv(0.5)
            if r is not None and "event" in r:
                self.qmp_events.append(r)
            return None
        return wait_for(seen, timeout, 0)

    # ---- guest agent -----------------------------------------------------------------------
    def _agent_sync(self):
        """guest-sync-delimited on a fresh connection; True when the agent answered."""
        if self.qga_ch:
            self.qga_ch.close()
        self.qga_ch = _JsonChannel(self.path("qga.sock"))
        self._sync_id += 1
        self.qga_ch.send({"execute": "guest-sync-delimited", "arguments": {"id": self._sync_id}})
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            r = self.qga_ch.recv(max(0.0, deadline - time.monotonic()))
            if r is None:
                break
            if r.get("return") == self._sync_id:
                return True
        return False

    def agent(self, command, timeout=60, **args):
        msg = {"execute": command}
        if args:
            msg["arguments"] = args
        for attempt in (1, 2):
            try:
                self.qga_ch.send(msg)
                r = self.qga_ch.recv(timeout)
                if r is None:
                    raise VMError("agent %s: no answer in %d s" % (command, timeout))
                break
            except (OSError, VMError):
                if attempt == 2 or not wait_for(self._agent_sync, 30, 1):
                    raise
        if "error" in r:
            raise VMError("agent %s: %s" % (command, r["error"].get("desc")))
        return r.get("return")

    def guest_exec(self, cmd, timeout=60, input=None, check=False):
        """Runs cmd (a shell string, or an argv list) as root; returns (rc, stdout, stderr)."""
        argv = ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else list(cmd)
        args = {"path": argv[0], "arg": argv[1:], "capture-output": True}
        if input is not None:
            args["input-data"] = base64.b64encode(input if isinstance(input, bytes) else input.encode()).decode()
        pid = self.agent("guest-exec", **args)["pid"]
        deadline = time.monotonic() + timeout
        while True:
            st = self.agent("guest-exec-status", pid=pid)
            if st.get("exited"):
                break
            if time.monotonic() > deadline:
                raise VMError("guest command timed out after %d s: %s" % (timeout, cmd))
            time.sleep(0.1)
        out = base64.b64decode(st.get("out-data", "")).decode("utf-8", "replace")
        err = base64.b64decode(st.get("err-data", "")).decode("utf-8", "replace")
        rc = st.get("exitcode", 128 + st.get("signal", 0))
        self.log("exec %r -> %d %r %r" % (cmd, rc, out[:200], err[:200]))
        if check and rc != 0:
            raise VMError("guest command failed (%d): %s\n%s" % (rc, cmd, err))
        return rc, out, err

    def file_write(self, path, data, mode=None):
        if isinstance(data, str):
            data = data.encode()
        h = self.agent("guest-file-open", path=path, mode="wb")
        try:
            for i in range(0, len(data), 48 * 1024):
                self.agent("guest-file-write", handle=h,
                           **{"buf-b64": base64.b64encode(data[i:i + 48 * 1024]).decode()})
        finally:
            self.agent("guest-file-close", handle=h)
        if mode is not None:
            self.guest_exec(["/bin/chmod", "%o" % mode, path], check=True)

    def file_read(self, path):
        h = self.agent("guest-file-open", path=path, mode="rb")
        data = b""
        try:
            while True:
                r = self.agent("guest-file-read", handle=h, count=48 * 1024)
                data += base64.b64decode(r.get("buf-b64", ""))
                if r.get("eof") or not r.get("count"):
                    break
        finally:
            self.agent("guest-file-close", handle=h)
        return data

    # ---- consoles: typed input in real login sessions ---------------------------------------
    def type_on_console(self, console, line):
        self.log("%s< %s" % (console, line))
        self.consoles[console].write(line + "\r")

    def console_run(self, console, cmd, timeout=60):
        """Types cmd on the console's shell, waits for it to end; returns (output, exit status).
        One command per call: sudo's use_pty swallows typed-ahead input."""
        self._marker += 1
        con = self.consoles[console]
        start = con.pos()
        n = self._marker
        # The echoed line reads "@@VAKT""-N-$?@@", the output "@@VAKT-N-0@@".
        self.type_on_console(console, '%s; echo "@@VAKT""-%d-$?@@"' % (cmd, n))
        pat = re.compile(r"@@VAKT-%d-(\d+)@@" % n)

        def done():
            return pat.search(con.text(start))
        m = wait_for(done, timeout, 0.2)
        text = con.text(start)
        if not m:
            raise VMError("%s: %r did not finish in %d s; console shows:\n%s"
                          % (console, cmd, timeout, text[-1500:]))
        return text[:m.start()], int(m.group(1))

    def console_ready(self, console, timeout=120):
        """Waits until the console's autologin shell answers."""
        def ok():
            try:
                self.console_run(console, "true", timeout=5)
                return True
            except VMError:
                return False
        return wait_for(ok, timeout, 1)


def _shell():
    here = os.path.dirname(os.path.abspath(__file__))
    cache = os.environ.get("VAKT_SYSTEM_CACHE", "/var/cache/vakt-system-test")
    work = os.environ.get("VAKT_SYSTEM_WORK", os.path.join(here, "../../build/system-run"))
    vm = VM(cache, os.path.abspath(work), verbose=True)
    try:
        print("booted in %.1f s" % vm.boot())
        print("work dir %s; Ctrl-C ends QEMU" % vm.work)
        while True:
            line = input("guest# ")
            rc, out, err = vm.guest_exec(line)
            sys.stdout.write(out + err + ("[exit %d]\n" % rc if rc else ""))
    except (KeyboardInterrupt, EOFError):
        pass
    finally:
        vm.shutdown()


if __name__ == "__main__" and sys.argv[1:] == ["shell"]:
    _shell()
