#!/usr/bin/python3
"""vakt system tests: the real vaktd under systemd in a QEMU guest with real USB hotplug (xhci),
real udev, logind sessions, sudo and kernel audit. Run by tests/system/run.sh (make system-test).

Each assertion prints PASS/FAIL; the last line is "system: N passed, N failed".
Environment: VAKTD (binary, default build/vaktd), VAKT_SYSTEM_CACHE (image dir),
VAKT_SYSTEM_WORK (per-run dir: logs, sockets, overlay), VAKT_SYSTEM_VERBOSE=1, VAKT_SYSTEM_KEEP=1
(keep the guest running at the end until Enter is pressed; `python3 vmlib.py shell` for a new one).
"""
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "../.."))
sys.path.insert(0, HERE)
from vmlib import VM, VMError, wait_for  # noqa: E402

VAKTD = os.environ.get("VAKTD", os.path.join(TOP, "build/vaktd"))
CACHE = os.environ.get("VAKT_SYSTEM_CACHE", "/var/cache/vakt-system-test")
WORK = os.path.abspath(os.environ.get("VAKT_SYSTEM_WORK", os.path.join(TOP, "build/system-run")))

DROPIN = "/etc/vakt/vakt.conf.d/50-system-test.conf"
ALLOW_SERIAL = "VAKTALLOW0001"
RO_SERIAL = "VAKTRO000001"
DROPIN_TEXT = """# written by tests/system/tests.py
[storage.allow "system-test-stick"]
vendor = 46f4
product = 0001
serial = %s
mode = allow

[storage.allow "system-test-readonly"]
vendor = 46f4
product = 0001
serial = %s
mode = read-only
""" % (ALLOW_SERIAL, RO_SERIAL)

passed = 0
failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("PASS %s" % name, flush=True)
    else:
        failed += 1
        print("FAIL %s%s" % (name, (": " + detail) if detail else ""), flush=True)
    return ok


def sh(vm, cmd, timeout=60):
    return vm.guest_exec(cmd, timeout=timeout)[1].strip()


# ---- the guest's journal -------------------------------------------------------------------
def records(vm, **match):
    """vaktd's journal records (journalctl -u vaktd -o json) whose fields equal match."""
    rc, out, _ = vm.guest_exec("journalctl -u vaktd -o json --no-pager", timeout=60)
    recs = []
    for line in out.splitlines():
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if all(r.get(k) == v for k, v in match.items()):
            recs.append(r)
    return recs


def wait_record(vm, timeout=20, **match):
    got = wait_for(lambda: records(vm, **match), timeout, 1)
    return got[-1] if got else None


def brief(rec):
    if not rec:
        return "none"
    return json.dumps({k: v for k, v in rec.items() if k.startswith("VAKT_") or k == "MESSAGE"})


def events_for_serial(vm, serial):
    return [(r.get("VAKT_EVENT"), r.get("VAKT_DECISION")) for r in records(vm, VAKT_DEVICE_SERIAL=serial)]


# ---- USB sticks through QMP ----------------------------------------------------------------
class Stick:
    def __init__(self, vm, serial):
        self.vm = vm
        self.serial = serial
        self.id = "stick-" + serial.lower()
        self.image = os.path.join(WORK, serial + ".img")
        if os.path.exists(self.image):
            os.unlink(self.image)
        subprocess.run(["mkfs.fat", "-C", "-n", "VAKTTEST", self.image, "8192"], check=True,
                       stdout=subprocess.DEVNULL)
        note = os.path.join(WORK, "README.TXT")
        with open(note, "w") as f:
            f.write("vakt system test stick %s\n" % serial)
        subprocess.run(["mcopy", "-i", self.image, note, "::README.TXT"], check=True)
        self.plugged = False

    def digest(self):
        with open(self.image, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()

    def plug(self):
        self.vm.qmp("blockdev-add", driver="raw", **{"node-name": self.id},
                    file={"driver": "file", "filename": self.image})
        self.vm.qmp("device_add", driver="usb-storage", bus="xhci.0", drive=self.id,
                    serial=self.serial, id=self.id, removable=True)
        self.plugged = True

    def unplug(self):
        if not self.plugged:
            return
        self.vm.qmp("device_del", id=self.id)
        self.vm.qmp_wait_event("DEVICE_DELETED", 30, lambda d: d.get("device") == self.id)
        self.vm.qmp("blockdev-del", **{"node-name": self.id})
        self.plugged = False

    def syspath(self, timeout=20):
        """The guest's /sys/bus/usb/devices/X of this stick (found by its serial)."""
        cmd = ('for d in /sys/bus/usb/devices/*; do [ "$(cat $d/serial 2>/dev/null)" = "%s" ] '
               '&& readlink -f $d; done' % self.serial)
        return wait_for(lambda: sh(self.vm, cmd), timeout, 0.5)

    def authorized(self, path):
        return sh(self.vm, "cat %s/authorized 2>/dev/null" % path)

    def block(self, path, timeout=0.0):
        """The stick's block device name (sda...), or ''."""
        cmd = ('for b in /sys/block/sd*; do case "$(readlink -f $b)" in %s/*) basename $b;; esac; '
               'done' % path)
        if timeout:
            return wait_for(lambda: sh(self.vm, cmd), timeout, 0.5) or ""
        return sh(self.vm, cmd)


def stays(cond, seconds):
    """True when cond() holds for the whole period (polled)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not cond():
            return False
        time.sleep(0.5)
    return cond()


# ---- logind sessions for the idle tests ----------------------------------------------------
# Graphical sessions: nothing in the guest draws a screen, but logind does not need one. A
# transient service with PAMName=login opens a real pam_systemd session for the user; the
# XDG_SESSION_TYPE/CLASS (and XDG_SEAT/XDG_VTNR) variables it passes reach pam_systemd, which
# registers Type=x11 Class=user (on seat0, VT N). Its one process is the stand-in locker
# (tests/system/fake-locker.sh), moved into the session's scope like any session leader.
# Text sessions: agetty autologins the user on the virtconsole hvc2, which has no getty of its
# own: login(1), the login PAM stack, Type=tty TTY=hvc2. Everything written to hvc2 (a warning)
# is in vm.consoles["hvc2"] and hvc2.log; console_run("hvc2", ...) types into the shell.
LOCKER = "/usr/local/bin/fake-locker"
_units = [0]


def _unit(prefix, user):
    _units[0] += 1
    return "vakt-test-%s-%s-%d" % (prefix, user, _units[0])


def session_props(vm, sid, *props):
    """logind's properties of session sid as a dict of strings; {} when logind has no such session."""
    rc, out, _ = vm.guest_exec("loginctl show-session %s %s" % (sid, " ".join("-p " + p for p in props)))
    if rc != 0:
        return {}
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def session_gone(vm, sid):
    """True when logind no longer has session sid, or only as closing."""
    st = session_props(vm, sid, "State")
    return not st or st.get("State") == "closing"


def guest_usec(vm):
    """The guest's CLOCK_REALTIME in microseconds (the unit of IdleSinceHint)."""
    return int(sh(vm, "date +%s%6N"))


def locker_log(vm, sid):
    """What the stand-in locker of session sid said (its stdout lines, from the journal)."""
    return sh(vm, "journalctl -o cat --no-pager SYSLOG_IDENTIFIER=fake-locker _SYSTEMD_SESSION=%s" % sid).splitlines()


def start_graphical_session(vm, user, locker="answer", vt=None):
    """A Type=x11 Class=user logind session for user whose only process is the stand-in locker
    in mode locker ("answer" or "ignore"); with vt, on seat0 at that VT (activate it with
    activate_session). Returns (session id, unit) once the locker listens for Lock and has set
    IdleHint=yes, or (None, unit)."""
    unit = _unit("x11", user)
    env = "-E XDG_SESSION_TYPE=x11 -E XDG_SESSION_CLASS=user"
    if vt:
        env += " -E XDG_SEAT=seat0 -E XDG_VTNR=%d" % vt
    rc, _, err = vm.guest_exec("systemd-run --quiet --unit=%s -p PAMName=login -p User=%s %s %s %s"
                               % (unit, user, env, LOCKER, locker))
    if rc != 0:
        print("note: %s: %s" % (unit, err.strip()))
        return None, unit
    # The service's main process is the locker, moved into session-ID.scope by pam_systemd.
    sid = wait_for(lambda: sh(vm, "pid=$(systemctl show -p MainPID --value %s); "
                                  "sed -n 's/.*session-\\(.*\\)\\.scope$/\\1/p' /proc/$pid/cgroup" % unit), 20, 0.5)
    if not sid or not wait_for(lambda: "fake-locker: SetIdleHint true" in locker_log(vm, sid), 20, 0.5):
        print("note: %s: session %s, locker said %s" % (unit, sid, locker_log(vm, sid) if sid else "-"))
        return None, unit
    return sid, unit


def start_text_session(vm, user="erin", console="hvc2"):
    """An autologin text session (agetty, login, bash) for user on a virtconsole without a getty.
    Returns (session id, unit) once the shell answers (which types on the tty: its atime, and so
    the session's IdleSinceHint, is then "now"), or (None, unit)."""
    unit = _unit("tty", user)
    rc, _, err = vm.guest_exec(
        "systemd-run --quiet --unit=%s -p TTYPath=/dev/%s -p TTYReset=yes -p TTYVHangup=yes "
        "-p UtmpIdentifier=%s -p SendSIGHUP=yes /sbin/agetty --autologin %s --noclear "
        "--keep-baud 115200,57600,38400,9600 %s vt220" % (unit, console, console, user, console))
    if rc != 0 or not vm.console_ready(console, 60):
        print("note: %s: %s %s" % (unit, err.strip(), vm.consoles[console].text()[-300:]))
        return None, unit
    out, rc = vm.console_run(console, "echo SESSION=$XDG_SESSION_ID")
    sid = out.rsplit("SESSION=", 1)[-1].strip() if rc == 0 else ""
    return (sid or None), unit


def lock_session(vm, sid, lock=True):
    """Root asks logind to lock (unlock) session sid, as vaktd does: logind emits the session's
    Lock (Unlock) signal, and the session's locker answers or not."""
    return vm.guest_exec("busctl call org.freedesktop.login1 /org/freedesktop/login1 "
                         "org.freedesktop.login1.Manager %s s %s" % ("LockSession" if lock else "UnlockSession", sid))[0] == 0


def activate_session(vm, sid):
    """Makes sid the active session of its seat (logind switches to its VT)."""
    return vm.guest_exec("loginctl activate %s" % sid)[0] == 0


def terminate_session(vm, sid):
    return vm.guest_exec("loginctl terminate-session %s" % sid)[0] == 0


def seat0_active(vm):
    return sh(vm, "loginctl show-seat seat0 -p ActiveSession --value")


# ---- install vaktd the way `make install` does ---------------------------------------------
def install(vm):
    def src(rel):
        p = os.path.join(TOP, rel)
        return open(p, "rb").read() if os.path.exists(p) else None

    vm.guest_exec("mkdir -p /etc/vakt/vakt.conf.d /usr/lib/systemd/system /usr/lib/systemd/catalog "
                  "/etc/audit/rules.d", check=True)
    vm.file_write("/usr/sbin/vaktd", open(VAKTD, "rb").read(), 0o755)
    conf = src("conf/vakt.conf")
    if conf is None:
        print("note: conf/vakt.conf missing, using a minimal one")
        conf = b"[storage]\nmode = enforce\ndefault = block\n"
    vm.file_write("/etc/vakt/vakt.conf", conf, 0o644)
    rules = src("conf/audit/50-vakt.rules")
    if rules is not None:
        vm.file_write("/etc/audit/rules.d/50-vakt.rules", rules, 0o640)
        vm.guest_exec("augenrules --load")
    unit = None if os.environ.get("VAKT_SYSTEM_PLAIN_UNIT") else src("systemd/vaktd.service")
    if unit is None:
        # VAKT_SYSTEM_PLAIN_UNIT=1 tells the features apart from the unit's hardening.
        print("note: using a plain unit without hardening, not systemd/vaktd.service")
        unit = (b"[Service]\nType=notify\nExecStart=/usr/sbin/vaktd\n"
                b"ExecReload=/bin/kill -HUP $MAINPID\nRuntimeDirectory=vakt\nStateDirectory=vakt\n")
    vm.file_write("/usr/lib/systemd/system/vaktd.service", unit, 0o644)
    cat = src("systemd/vakt.catalog")
    if cat is not None:
        vm.file_write("/usr/lib/systemd/catalog/vakt.catalog", cat, 0o644)
        vm.guest_exec("journalctl --update-catalog")
    vm.guest_exec("systemctl daemon-reload", check=True)
    vm.file_write(LOCKER, open(os.path.join(HERE, "fake-locker.sh"), "rb").read(), 0o755)


# ---- the tests -----------------------------------------------------------------------------
def test_start(vm):
    rc, out, _ = vm.guest_exec("ldd /usr/sbin/vaktd | grep 'not found'")
    check("guest has every library vaktd links", rc != 0, out.strip())
    rc, out, err = vm.guest_exec("/usr/sbin/vaktd --check-config")
    check("vaktd --check-config accepts the installed vakt.conf", rc == 0, (out + err).strip()[-500:])
    rc, out, err = vm.guest_exec("systemctl start vaktd", timeout=90)
    active = sh(vm, "systemctl is-active vaktd")
    check("systemctl start vaktd: active (Type=notify READY=1 under the hardened unit)",
          rc == 0 and active == "active",
          "%s %s; %s" % (active, err.strip(), sh(vm, "journalctl -u vaktd -n 15 --no-pager -o cat")))
    hubs = sh(vm, "cat /sys/bus/usb/devices/usb*/authorized_default").split()
    check("vaktd closed the door: every root hub authorized_default=0",
          hubs and all(h == "0" for h in hubs), "authorized_default: %s" % hubs)
    return active == "active"


def test_block(vm):
    s = Stick(vm, "VAKTBLOCK0001")
    s.plug()
    path = s.syspath()
    if not check("(a) hotplugged stick appears in the guest's sysfs", bool(path)):
        s.unplug()
        return
    rec = wait_record(vm, VAKT_EVENT="storage.blocked", VAKT_DEVICE_SERIAL=s.serial)
    check("(a) storage.blocked record with VAKT_DEVICE_SERIAL", rec is not None,
          "records for this serial: %s" % events_for_serial(vm, s.serial))
    check("(a) unknown stick stays unauthorised (authorized=0)",
          stays(lambda: s.authorized(path) == "0", 3), "authorized=%s" % s.authorized(path))
    check("(a) no block device for the blocked stick", s.block(path) == "", s.block(path))
    if rec:
        check("(a) record names the device: VAKT_DEVICE_VENDOR_ID=46f4 PRODUCT_ID=0001, decision block",
              rec.get("VAKT_DEVICE_VENDOR_ID") == "46f4" and rec.get("VAKT_DEVICE_PRODUCT_ID") == "0001"
              and rec.get("VAKT_DECISION") == "block", brief(rec))
        check("(a) VAKT_RULE points at the default key (vakt.conf:LINE)",
              "vakt.conf:" in rec.get("VAKT_RULE", ""), brief(rec))
        check("(a) record names the person at seat0 (VAKT_USER=alice)",
              rec.get("VAKT_USER") == "alice", brief(rec))
    s.unplug()
    rec = wait_record(vm, 10, VAKT_EVENT="storage.removed", VAKT_DEVICE_SERIAL=s.serial)
    check("(a) storage.removed after unplug", rec is not None,
          "records for this serial: %s" % events_for_serial(vm, s.serial))


def test_keyboard(vm):
    vm.qmp("device_add", driver="usb-kbd", bus="xhci.0", id="kbd1")
    cmd = ('for d in /sys/bus/usb/devices/*; do [ "$(cat $d/product 2>/dev/null)" = "QEMU USB Keyboard" ] '
           '&& readlink -f $d; done')
    path = wait_for(lambda: sh(vm, cmd), 20, 0.5)
    if check("(f) hotplugged USB keyboard appears in the guest's sysfs", bool(path)):
        ok = wait_for(lambda: sh(vm, "cat %s/authorized" % path) == "1", 15, 0.5)
        check("(f) keyboard is authorised at once (authorized=1)", bool(ok),
              "authorized=%s" % sh(vm, "cat %s/authorized" % path))
    vm.qmp("device_del", id="kbd1")
    vm.qmp_wait_event("DEVICE_DELETED", 30, lambda d: d.get("device") == "kbd1")


def test_reload(vm):
    before = len(records(vm, VAKT_EVENT="policy.loaded"))
    vm.file_write(DROPIN, DROPIN_TEXT, 0o644)
    rc, out, err = vm.guest_exec("systemctl reload vaktd", timeout=60)
    check("(b) systemctl reload vaktd with an allow drop-in", rc == 0, err.strip())
    ok = wait_for(lambda: len(records(vm, VAKT_EVENT="policy.loaded")) > before, 15, 1)
    check("(b) policy.loaded record after reload", bool(ok))


def test_allow(vm):
    s = Stick(vm, ALLOW_SERIAL)
    s.plug()
    path = s.syspath()
    if not check("(b) allowlisted stick appears in sysfs", bool(path)):
        s.unplug()
        return
    ok = wait_for(lambda: s.authorized(path) == "1", 20, 0.5)
    check("(b) allowlisted serial is authorised (authorized=1)", bool(ok), "authorized=%s" % s.authorized(path))
    rec = wait_record(vm, VAKT_EVENT="storage.allowed", VAKT_DEVICE_SERIAL=s.serial)
    check("(b) storage.allowed record with VAKT_DEVICE_SERIAL", rec is not None,
          "records for this serial: %s" % events_for_serial(vm, s.serial))
    if rec:
        check("(b) VAKT_RULE names the rule and its drop-in FILE:LINE",
              "system-test-stick" in rec.get("VAKT_RULE", "") and "50-system-test.conf:" in rec.get("VAKT_RULE", ""),
              brief(rec))
    dev = s.block(path, 20) if ok else ""
    if check("(b) allowed stick gets a block device", bool(dev)):
        ro = sh(vm, "blockdev --getro /dev/%s" % dev)
        check("(b) allowed stick is writable (blockdev --getro = 0)", ro == "0", "getro=%s" % ro)
    s.unplug()


def test_read_only(vm):
    s = Stick(vm, RO_SERIAL)
    before = s.digest()
    s.plug()
    path = s.syspath()
    if not check("(c) read-only stick appears in sysfs", bool(path)):
        s.unplug()
        return
    dev = s.block(path, 25)
    if check("(c) read-only stick is authorised and gets a block device", bool(dev),
             "authorized=%s, records: %s" % (s.authorized(path), events_for_serial(vm, s.serial))):
        ok = wait_for(lambda: sh(vm, "blockdev --getro /dev/%s" % dev) == "1", 10, 0.5)
        check("(c) block device is read-only (blockdev --getro /dev/%s = 1)" % dev, bool(ok),
              "getro=%s" % sh(vm, "blockdev --getro /dev/%s" % dev))
        for p in sh(vm, "ls /sys/block/%s | grep '^%s[0-9]'" % (dev, dev)).split():
            ro = sh(vm, "blockdev --getro /dev/%s" % p)
            check("(c) partition %s is read-only too" % p, ro == "1", "getro=%s" % ro)
        rc, _, err = vm.guest_exec("dd if=/dev/zero of=/dev/%s bs=512 seek=100 count=1 oflag=direct "
                                   "conv=fsync status=none" % dev)
        check("(c) a raw write to /dev/%s fails" % dev, rc != 0, "dd exit %d %s" % (rc, err.strip()))
        rc, out, err = vm.guest_exec("mkdir -p /mnt/ro && mount /dev/%s /mnt/ro && cat /mnt/ro/README.TXT; "
                                     "touch /mnt/ro/written; umount /mnt/ro" % dev)
        check("(c) the stick's file is still readable",
              s.serial in out, (out + err).strip())
    rec = wait_record(vm, VAKT_EVENT="storage.read_only", VAKT_DEVICE_SERIAL=s.serial)
    check("(c) storage.read_only record with VAKT_DEVICE_SERIAL", rec is not None,
          "records for this serial: %s" % events_for_serial(vm, s.serial))
    if rec:
        check("(c) VAKT_RULE names the read-only rule", "system-test-readonly" in rec.get("VAKT_RULE", ""),
              brief(rec))
    s.unplug()
    check("(c) not one byte of the medium changed", s.digest() == before)


def test_sudo(vm):
    sessions = sh(vm, "loginctl list-sessions --no-legend")
    bob_session = ""
    for line in sessions.splitlines():
        f = line.split()
        if len(f) >= 4 and f[2] == "bob" and f[-1] == "hvc1":
            bob_session = f[0]
    check("(d) bob has a logind session on hvc1", bool(bob_session), sessions)
    out, rc = vm.console_run("hvc1", "sudo id")
    check("(d) bob's typed `sudo id` ran as root", rc == 0 and "uid=0(root)" in out, out)
    rec = wait_record(vm, VAKT_EVENT="privilege.sudo", VAKT_USER="bob")
    check("(d) privilege.sudo record attributed to VAKT_USER=bob", rec is not None,
          "privilege.sudo records: %s" % [brief(r) for r in records(vm, VAKT_EVENT="privilege.sudo")][-3:])
    if rec:
        check("(d) bob's record: VAKT_UID=1001, VAKT_TARGET_USER=root, VAKT_COMMAND has id, VAKT_RESULT=success",
              rec.get("VAKT_UID") == "1001" and rec.get("VAKT_TARGET_USER") == "root"
              and "id" in rec.get("VAKT_COMMAND", "") and rec.get("VAKT_RESULT") == "success", brief(rec))
        check("(d) bob's record names his session and tty (VAKT_SESSION=%s, VAKT_TTY hvc1)" % bob_session,
              rec.get("VAKT_SESSION") == bob_session and "hvc1" in rec.get("VAKT_TTY", ""), brief(rec))
        check("(d) bob's record carries VAKT_AUDIT_ID", bool(rec.get("VAKT_AUDIT_ID")), brief(rec))
    out, rc = vm.console_run("hvc0", "sudo -n true")
    check("(d) alice (not an administrator) is refused `sudo -n true`", rc != 0, out)

    def alice_rec():
        for r in records(vm, VAKT_USER="alice"):
            if r.get("VAKT_EVENT") in ("privilege.sudo", "auth.failed"):
                return r
    rec = wait_for(alice_rec, 20, 1)
    check("(d) alice's refused sudo is recorded (privilege.sudo or auth.failed) with VAKT_USER=alice",
          rec is not None, "events for alice: %s" % sorted({r.get("VAKT_EVENT") for r in records(vm, VAKT_USER="alice")}))
    if rec and rec.get("VAKT_EVENT") == "privilege.sudo":
        check("(d) alice's privilege.sudo says VAKT_RESULT=failure", rec.get("VAKT_RESULT") == "failure", brief(rec))


# ---- privileged activity: routine work is silent, each sensitive action is one record --------
# The events of the audit part (issue 13): routine work must give none of them, and each scripted
# action exactly the records listed with it, attributed to the person who typed it.
AUDIT_EVENTS = ("privilege.sudo", "privilege.su", "privilege.pkexec", "privilege.mount",
                "privilege.module", "privilege.setuid", "auth.failed", "auth.burst",
                "account.changed", "file.changed", "audit.rules_changed", "audit.rules_restored",
                "audit.disabled", "audit.lost")


def journal_cursor(vm):
    """The cursor of the guest journal's newest entry: records after it are new."""
    out = sh(vm, "journalctl -n 1 --show-cursor --no-pager -o cat")
    return out.rsplit("-- cursor: ", 1)[-1].strip()


def records_after(vm, cursor, events=AUDIT_EVENTS):
    """vaktd's records after cursor whose VAKT_EVENT is in events. Filtered here, not with
    journalctl -u: journalctl 252 with a match and --after-cursor skips the first entry that
    matches."""
    rc, out, _ = vm.guest_exec("journalctl -o json --no-pager --after-cursor='%s'" % cursor,
                               timeout=60)
    recs = []
    for line in out.splitlines():
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("_SYSTEMD_UNIT") == "vaktd.service" and r.get("VAKT_EVENT") in events:
            recs.append(r)
    return recs


def console_interact(vm, console, cmd, answers, timeout=60):
    """Types cmd on console and answers its prompts: answers is a list of (prompt text, line);
    each line is typed once its prompt appeared. Returns (output, exit status)."""
    vm._marker += 1
    con = vm.consoles[console]
    start = con.pos()
    n = vm._marker
    vm.type_on_console(console, '%s; echo "@@VAKT""-%d-$?@@"' % (cmd, n))
    seen = start
    for prompt, line in answers:
        def asked(p=prompt):
            i = con.text(seen).find(p)
            return i + 1 if i >= 0 else 0
        at = wait_for(asked, timeout, 0.2)
        if not at:
            raise VMError("%s: no prompt %r for %r; console shows:\n%s"
                          % (console, prompt, cmd, con.text(start)[-800:]))
        seen += at - 1 + len(prompt)
        time.sleep(0.3)
        vm.type_on_console(console, line)
    pat = re.compile(r"@@VAKT-%d-(\d+)@@" % n)
    m = wait_for(lambda: pat.search(con.text(start)), timeout, 0.2)
    if not m:
        raise VMError("%s: %r did not finish; console shows:\n%s" % (console, cmd, con.text(start)[-800:]))
    return con.text(start)[:m.start()], int(m.group(1))


def test_audit_routine(vm, seconds=None):
    """A few minutes of routine work: new logins (a text session, a desktop-like graphical
    session, a PAM login service), ls, reading /etc, editing one's own files, apt list. vaktd
    must write no audit record at all for it."""
    seconds = seconds or int(os.environ.get("VAKT_SYSTEM_ROUTINE_SECONDS", "120"))
    t0 = time.monotonic()
    cursor = journal_cursor(vm)
    text_sid, text_unit = start_text_session(vm, "erin", "hvc2")
    gui_sid, gui_unit = start_graphical_session(vm, "dave", "answer")
    login_unit = _unit("login", "carol")
    vm.guest_exec("systemd-run --quiet --wait --unit=%s -p PAMName=login -p User=carol /bin/sh -c "
                  "'ls -la ~ /etc >/dev/null; cat /etc/hostname /etc/os-release >/dev/null; "
                  "echo routine >> ~/notes.txt; sed -i s/routine/work/ ~/notes.txt'" % login_unit,
                  timeout=120)
    check("(audit) routine: a text session, a graphical session and a PAM login started",
          bool(text_sid) and bool(gui_sid), "text %s, graphical %s" % (text_sid, gui_sid))
    work = [
        "ls -la ~ /etc /usr/bin >/dev/null",
        "cat /etc/hostname /etc/os-release /etc/passwd /etc/group >/dev/null",
        "printf 'line %s\\n' $RANDOM >> ~/notes.txt && sed -i 's/line/Line/' ~/notes.txt",
        "mkdir -p ~/work && cp ~/notes.txt ~/work/ && mv ~/work/notes.txt ~/work/n.txt && rm -r ~/work",
        "apt list --installed 2>/dev/null | head -3",
        "id; ps -e >/dev/null; df -h >/dev/null; uptime",
        "chmod 600 ~/notes.txt; touch ~/.profile",
    ]
    rounds = 0
    while time.monotonic() - t0 < seconds:
        for i, cmd in enumerate(work):
            console = ("hvc0", "hvc2")[i % 2] if text_sid else "hvc0"
            vm.console_run(console, cmd, timeout=120)
        rounds += 1
    for sid in (text_sid, gui_sid):
        if sid:
            terminate_session(vm, sid)
    # Logging out is routine too: wait until the user managers of the sessions that ended have
    # stopped (UserStopDelaySec, 10 s), then for anything still held.
    managers = " ".join("user@%s.service" % sh(vm, "id -u %s" % u) for u in ("erin", "dave", "carol"))
    wait_for(lambda: "active" not in sh(vm, "systemctl is-active %s" % managers).split(), 60, 1)
    time.sleep(3)
    recs = records_after(vm, cursor)
    check("(audit) %d s of routine work (%d rounds, logins, sessions ending) gave no audit record"
          % (time.monotonic() - t0, rounds), not recs,
          "%d records: %s" % (len(recs), [brief(r) for r in recs][:6]))


def _expect_records(vm, name, cursor, expected, who, timeout=20):
    """Waits until the events of expected (a dict event -> count) arrived after cursor, lets held
    and coalesced records come out, and checks that exactly those were written, each by who."""
    def enough():
        got = records_after(vm, cursor)
        return all(sum(1 for r in got if r.get("VAKT_EVENT") == e) >= n for e, n in expected.items())
    wait_for(enough, timeout, 1)
    time.sleep(2.5)
    got = records_after(vm, cursor)
    counts = {}
    for r in got:
        counts[r["VAKT_EVENT"]] = counts.get(r["VAKT_EVENT"], 0) + 1
    check("(audit) %s: exactly %s" % (name, ", ".join("%d %s" % (n, e) for e, n in sorted(expected.items()))),
          counts == expected, "got %s: %s" % (counts, [brief(r) for r in got][:8]))
    for r in got:
        if r.get("VAKT_EVENT") == "audit.rules_restored":
            continue
        if r.get("VAKT_USER") != who:
            check("(audit) %s: %s attributed to %s" % (name, r.get("VAKT_EVENT"), who), False, brief(r))
    return got


def _one(recs, event):
    hits = [r for r in recs if r.get("VAKT_EVENT") == event]
    return hits[0] if hits else {}


def test_audit_actions(vm):
    """The scripted sensitive actions, typed by bob (an administrator, hvc1) and alice (not one,
    hvc0) in their real login sessions; each must give exactly the records listed."""
    vm.guest_exec("echo 'alice:Alice-pw-1' | chpasswd && echo 'erin:Erin-pw-1' | chpasswd", check=True)
    vm.guest_exec("mkdir -p /tmp/vakt-d13-guest", check=True)
    time.sleep(3)  # the agent's own account changes are not part of the actions below
    own = records(vm, VAKT_EVENT="audit.rules_changed")
    check("(audit) vaktd's own rule loading is not reported as audit.rules_changed", not own,
          str([brief(r) for r in own][:3]))

    def action(name, console, cmd, expected, who, answers=None):
        cursor = journal_cursor(vm)
        if answers:
            out, rc = console_interact(vm, console, cmd, answers)
        else:
            out, rc = vm.console_run(console, cmd, timeout=90)
        return _expect_records(vm, name, cursor, expected, who), out, rc

    recs, out, rc = action("bob's sudo", "hvc1", "sudo -u alice id", {"privilege.sudo": 1}, "bob")
    r = _one(recs, "privilege.sudo")
    check("(audit) bob's sudo: VAKT_TTY is hvc1 and VAKT_TARGET_USER alice",
          r.get("VAKT_TTY") == "hvc1" and r.get("VAKT_TARGET_USER") == "alice", brief(r))
    cmd = r.get("VAKT_AUSEARCH", "")
    rc, found, err = vm.guest_exec(cmd + " --raw", timeout=60) if cmd else (1, "", "no VAKT_AUSEARCH")
    check("(audit) the record's VAKT_AUSEARCH prints sudo's USER_CMD from auditd's log",
          rc == 0 and ("type=USER_CMD msg=audit(%s)" % r.get("VAKT_AUDIT_ID")) in found,
          "%s -> %d %s %s" % (cmd, rc, found[-300:], err[-200:]))

    recs, out, rc = action("alice's su to erin", "hvc0", "su -c id erin", {"privilege.su": 1}, "alice",
                           [("Password:", "Erin-pw-1")])
    check("(audit) alice's su ran", rc == 0 and "uid=1004(erin)" in out, out[-300:])

    # passwd is setuid: privilege.setuid and account.changed are one action (needs the lib side
    # of issue 13 item 3).
    recs, out, rc = action("alice's passwd", "hvc0", "passwd", {"account.changed": 1}, "alice",
                           [("urrent password:", "Alice-pw-1"), ("ew password:", "Vakt-New-pw-42x"),
                            ("ew password:", "Vakt-New-pw-42x")])
    check("(audit) alice's passwd changed her password", rc == 0, out[-300:])
    r = _one(recs, "account.changed")
    check("(audit) alice's passwd: the message says she changed her own password",
          "changed their own password" in r.get("MESSAGE", ""), brief(r))

    # sudo useradd/usermod/userdel: the sudo and the account change; the writes of the tool to
    # the watched account files are the same action (lib side: one action, one record).
    action("bob's sudo useradd", "hvc1", "sudo useradd -m vakt-d13-gina",
           {"privilege.sudo": 1, "account.changed": 1}, "bob")
    recs, out, rc = action("bob's sudo usermod -aG sudo", "hvc1", "sudo usermod -aG sudo vakt-d13-gina",
                           {"privilege.sudo": 1, "account.changed": 1}, "bob")
    r = _one(recs, "account.changed")
    check("(audit) usermod -aG sudo: the record names the account and the group granted",
          r.get("VAKT_TARGET_USER") == "vakt-d13-gina" and r.get("VAKT_GROUPS_ADDED") == "sudo"
          and "to group 'sudo'" in r.get("MESSAGE", ""), brief(r))
    action("bob's sudo userdel -r", "hvc1", "sudo userdel -r vakt-d13-gina",
           {"privilege.sudo": 1, "account.changed": 1}, "bob")
    recs, out, rc = action("bob edits /etc/sudoers.d through sudo", "hvc1",
                           "echo '# vakt system test' | sudo tee /etc/sudoers.d/vakt-d13-test >/dev/null",
                           {"privilege.sudo": 1, "file.changed": 1}, "bob")
    r = _one(recs, "file.changed")
    check("(audit) the sudoers.d record names the file",
          r.get("VAKT_FILE") == "/etc/sudoers.d/vakt-d13-test", brief(r))
    vm.guest_exec("rm -f /etc/sudoers.d/vakt-d13-test")
    time.sleep(2)
    recs, out, rc = action("alice's refused write to /etc/shadow", "hvc0", "echo x >> /etc/shadow",
                           {"file.changed": 1}, "alice")
    r = _one(recs, "file.changed")
    check("(audit) the refused write says failure", r.get("VAKT_RESULT") == "failure"
          and r.get("VAKT_FILE") == "/etc/shadow", brief(r))
    action("bob's auditctl -w", "hvc1", "sudo auditctl -w /tmp/vakt-d13-guest -p wa -k vakt-test-d13-guest",
           {"privilege.sudo": 1, "audit.rules_changed": 1}, "bob")
    action("bob's auditctl -W", "hvc1", "sudo auditctl -W /tmp/vakt-d13-guest -p wa -k vakt-test-d13-guest",
           {"privilege.sudo": 1, "audit.rules_changed": 1}, "bob")
    recs, out, rc = action("bob removes a vakt rule", "hvc1",
                           "sudo auditctl -d always,exit -F arch=b64 -S init_module,finit_module,delete_module -k vakt-module",
                           {"privilege.sudo": 1, "audit.rules_changed": 1, "audit.rules_restored": 1}, "bob")
    r = _one(recs, "audit.rules_restored")
    check("(audit) the restore names the rule and bob",
          "vakt-module" in r.get("VAKT_RESTORED_RULES", "") and r.get("VAKT_CHANGED_BY", "").startswith("bob"), brief(r))
    check("(audit) the removed rule is back (both vakt-module rules loaded)",
          sh(vm, "auditctl -l | grep -c 'key=vakt-module'") == "2", sh(vm, "auditctl -l"))
    recs, out, rc = action("bob switches auditing off", "hvc1", "sudo auditctl -e 0",
                           {"privilege.sudo": 1, "audit.disabled": 1, "audit.rules_restored": 1}, "bob")
    r = _one(recs, "audit.disabled")
    check("(audit) auditing switched off is a warning (PRIORITY 4) saying so",
          r.get("PRIORITY") == "4" and "switched off kernel auditing" in r.get("MESSAGE", ""), brief(r))
    check("(audit) and vaktd switched it on again", "enabled 1" in sh(vm, "auditctl -s"), sh(vm, "auditctl -s"))


def test_audit_stop(vm):
    """bob stops vaktd with sudo: one vakt.stopped naming him (the signal comes from PID 1, the
    request from sudo's USER_CMD); systemd's SERVICE_STOP shows no person. vaktd is started
    again."""
    cursor = journal_cursor(vm)
    out, rc = vm.console_run("hvc1", "sudo systemctl stop vaktd", timeout=90)
    check("(audit) bob's sudo systemctl stop vaktd", rc == 0 and sh(vm, "systemctl is-active vaktd") != "active", out)
    recs = records_after(vm, cursor, ("vakt.stopped",))
    r = recs[-1] if recs else {}
    check("(audit) one vakt.stopped (PRIORITY 4) naming bob and his command",
          len(recs) == 1 and r.get("PRIORITY") == "4" and r.get("VAKT_USER") == "bob"
          and "systemctl stop vaktd" in r.get("VAKT_COMMAND", "") and r.get("VAKT_SENDER_PID") == "1",
          str([brief(x) for x in recs]))
    stop = sh(vm, "ausearch -m SERVICE_STOP -ts recent --raw 2>/dev/null | grep 'unit=vaktd' | tail -1")
    print("note: systemd's SERVICE_STOP for vaktd: %s" % (stop or "none in the audit log"), flush=True)
    rc, _, err = vm.guest_exec("systemctl start vaktd", timeout=90)
    check("(audit) vaktd started again", rc == 0 and sh(vm, "systemctl is-active vaktd") == "active", err)


def test_stable(vm):
    st = sh(vm, "systemctl show vaktd -p ActiveState -p NRestarts -p ExecMainStartTimestamp")
    check("vaktd stayed up through the tests (active, NRestarts=0)",
          "ActiveState=active" in st and "NRestarts=0" in st, st.replace("\n", " "))


def test_fail_closed(vm):
    cursor = journal_cursor(vm)
    rc, _, err = vm.guest_exec("systemctl stop vaktd", timeout=60)
    check("(e) systemctl stop vaktd", rc == 0 and sh(vm, "systemctl is-active vaktd") != "active", err)
    stopped = records_after(vm, cursor, ("vakt.stopped",))
    check("(e) one vakt.stopped, naming nobody (root without a login through the guest agent)",
          len(stopped) == 1 and "VAKT_USER" not in stopped[0], str([brief(r) for r in stopped]))
    hubs = sh(vm, "cat /sys/bus/usb/devices/usb*/authorized_default").split()
    check("(e) with vaktd stopped every root hub still has authorized_default=0",
          hubs and all(h == "0" for h in hubs), "authorized_default: %s" % hubs)
    s = Stick(vm, "VAKTDOWN0001")
    s.plug()
    path = s.syspath()
    if check("(e) stick plugged while vaktd is down appears in sysfs", bool(path)):
        check("(e) it stays unauthorised while vaktd is down (authorized=0)",
              stays(lambda: s.authorized(path) == "0", 8), "authorized=%s" % s.authorized(path))
        check("(e) and gets no block device", s.block(path) == "")
        rc, _, err = vm.guest_exec("systemctl start vaktd", timeout=90)
        rec = wait_record(vm, VAKT_EVENT="storage.blocked", VAKT_DEVICE_SERIAL=s.serial)
        check("(e) after restart vaktd decides the present stick (coldplug storage.blocked)", rec is not None,
              "records for this serial: %s" % events_for_serial(vm, s.serial))
        check("(e) and it is still unauthorised", s.authorized(path) == "0", "authorized=%s" % s.authorized(path))
    s.unplug()


def test_idle_groundwork(vm):
    """What the idle tests stand on, checked against the real logind without vaktd's idle part:
    graphical sessions with a stand-in locker that answers logind's Lock or ignores it, a locked
    session at seat0 while a stick arrives, and an idle text session whose terminal the test
    reads. The idle tests proper (vaktd locking, warning, terminating) go next to this."""
    t0 = time.monotonic()
    # The text session first: its idle clock runs while the graphical checks go on.
    tty_sid, tty_unit = start_text_session(vm, "erin", "hvc2")
    if check("(idle) text session for erin on hvc2 (agetty autologin)", bool(tty_sid), tty_unit):
        p = session_props(vm, tty_sid, "Type", "Class", "TTY", "Name", "IdleSinceHint")
        check("(idle) erin's session is Type=tty Class=user TTY=hvc2",
              (p.get("Type"), p.get("Class"), p.get("TTY"), p.get("Name")) == ("tty", "user", "hvc2", "erin"), str(p))
        tty_since = int(p.get("IdleSinceHint") or 0)
        check("(idle) erin's IdleSinceHint is her last typed line (the tty's atime), not older",
              abs(guest_usec(vm) - tty_since) < 15 * 10**6, "IdleSinceHint=%s now=%d" % (tty_since, guest_usec(vm)))

    # carol: graphical, on seat0 VT 7, her locker answers Lock.
    before = guest_usec(vm)
    carol, unit = start_graphical_session(vm, "carol", "answer", vt=7)
    if check("(idle) graphical session for carol with the answering locker", bool(carol), unit):
        p = session_props(vm, carol, "Type", "Class", "Seat", "VTNr", "IdleHint", "IdleSinceHint", "LockedHint")
        check("(idle) carol's session is Type=x11 Class=user on seat0 VT 7",
              (p.get("Type"), p.get("Class"), p.get("Seat"), p.get("VTNr")) == ("x11", "user", "seat0", "7"), str(p))
        since = int(p.get("IdleSinceHint") or 0)
        check("(idle) the locker made it idle: IdleHint=yes, IdleSinceHint set by logind just now",
              p.get("IdleHint") == "yes" and before <= since <= guest_usec(vm), "%s (started at %d)" % (p, before))
        check("(idle) the locker runs inside the session (logind found its session by its pid)",
              any(l.startswith("fake-locker: mode answer, session %s " % carol) for l in locker_log(vm, carol)),
              str(locker_log(vm, carol)))
        activate_session(vm, carol)
        check("(idle) carol's x11 session can be seat0's active session (loginctl activate)",
              wait_for(lambda: seat0_active(vm) == carol, 10, 0.5), "seat0 active: %s" % seat0_active(vm))
        lock_session(vm, carol)
        ok = wait_for(lambda: session_props(vm, carol, "LockedHint").get("LockedHint") == "yes", 10, 0.5)
        check("(idle) LockSession: the answering locker sets LockedHint=yes", ok, str(locker_log(vm, carol)))
        if ok and sh(vm, "systemctl is-active vaktd") == "active":
            s = Stick(vm, ALLOW_SERIAL)
            s.plug()
            path = s.syspath()
            rec = wait_record(vm, VAKT_EVENT="storage.blocked", VAKT_DEVICE_SERIAL=s.serial, VAKT_USER="carol")
            check("(idle) a stick (allowlisted) plugged while seat0's session is locked: storage.blocked, "
                  "VAKT_RULE while_locked, VAKT_USER=carol",
                  rec is not None and "while_locked" in rec.get("VAKT_RULE", ""),
                  "records for this serial: %s" % [brief(r) for r in records(vm, VAKT_DEVICE_SERIAL=s.serial)][-2:])
            check("(idle) and it stays unauthorised while locked", bool(path) and stays(lambda: s.authorized(path) == "0", 2),
                  "authorized=%s" % (s.authorized(path) if path else "?"))
        else:
            s = None
        lock_session(vm, carol, False)
        ok = wait_for(lambda: session_props(vm, carol, "LockedHint").get("LockedHint") == "no", 10, 0.5)
        check("(idle) UnlockSession: the answering locker sets LockedHint=no", ok, str(locker_log(vm, carol)))
        if s:
            # vaktd today keeps a device held by while_locked blocked until it is plugged in again
            # (storage.c); issue 12 item 8 wants it authorised after unlock: the idle tests decide.
            time.sleep(3)
            print("note: after unlock the stick held by while_locked has authorized=%s"
                  % (s.authorized(path) if path else "?"), flush=True)
            s.unplug()
        alice_tty1 = sh(vm, "loginctl list-sessions --no-legend | awk '$3 == \"alice\" && $NF == \"tty1\" {print $1}'")
        activate_session(vm, alice_tty1)
        check("(idle) seat0 is alice's tty1 session again", wait_for(lambda: seat0_active(vm) == alice_tty1, 10, 0.5),
              "seat0 active: %s, alice tty1: %s" % (seat0_active(vm), alice_tty1))
        terminate_session(vm, carol)
        check("(idle) terminate-session ends carol's session and its unit",
              wait_for(lambda: session_gone(vm, carol) and sh(vm, "systemctl is-active %s" % unit) != "active", 15, 0.5),
              "%s; unit %s" % (session_props(vm, carol, "State"), sh(vm, "systemctl is-active %s" % unit)))

    # dave: graphical, no seat, his locker never answers.
    dave, unit = start_graphical_session(vm, "dave", "ignore")
    if check("(idle) graphical session for dave with the ignoring locker", bool(dave), unit):
        p = session_props(vm, dave, "Type", "Class", "IdleHint")
        check("(idle) dave's session is Type=x11 Class=user, IdleHint=yes",
              (p.get("Type"), p.get("Class"), p.get("IdleHint")) == ("x11", "user", "yes"), str(p))
        lock_session(vm, dave)
        heard = wait_for(lambda: "fake-locker: Lock" in locker_log(vm, dave), 10, 0.5)
        check("(idle) LockSession reaches dave's locker, which ignores it: LockedHint stays no",
              heard and stays(lambda: session_props(vm, dave, "LockedHint").get("LockedHint") == "no", 3),
              "%s; %s" % (locker_log(vm, dave), session_props(vm, dave, "LockedHint")))
        terminate_session(vm, dave)
        check("(idle) terminate-session ends dave's session and its unit",
              wait_for(lambda: session_gone(vm, dave) and sh(vm, "systemctl is-active %s" % unit) != "active", 15, 0.5),
              "%s; unit %s" % (session_props(vm, dave, "State"), sh(vm, "systemctl is-active %s" % unit)))

    if tty_sid:
        # logind: IdleHint of a tty session = its tty's atime + IdleActionSec (15 s in the image)
        # has passed; IdleSinceHint = that atime (the kernel updates it on input, at most every 8 s).
        idle = wait_for(lambda: session_props(vm, tty_sid, "IdleHint").get("IdleHint") == "yes", 30, 1)
        p = session_props(vm, tty_sid, "IdleHint", "IdleSinceHint")
        check("(idle) untouched, erin's session turns IdleHint=yes and IdleSinceHint stays",
              idle and int(p.get("IdleSinceHint") or 0) == tty_since, "%s (was %d)" % (p, tty_since))
        con = vm.consoles["hvc2"]
        start = con.pos()
        vm.guest_exec("echo 'vakt system test: a line for erin' >/dev/hvc2")
        check("(idle) a line root writes to /dev/hvc2 is read back from the console",
              wait_for(lambda: "a line for erin" in con.text(start), 10, 0.2), repr(con.text(start)))
        p = session_props(vm, tty_sid, "IdleSinceHint")
        check("(idle) writing to her terminal does not make erin active (IdleSinceHint stays)",
              int(p.get("IdleSinceHint") or 0) == tty_since, "%s (was %d)" % (p, tty_since))
        vm.console_run("hvc2", "true")
        p = session_props(vm, tty_sid, "IdleHint", "IdleSinceHint")
        check("(idle) a typed line makes erin active: IdleSinceHint advances, IdleHint=no",
              int(p.get("IdleSinceHint") or 0) > tty_since and p.get("IdleHint") == "no", "%s (was %d)" % (p, tty_since))
        terminate_session(vm, tty_sid)
        check("(idle) terminate-session ends erin's text session; the getty stays down",
              wait_for(lambda: session_gone(vm, tty_sid) and sh(vm, "systemctl is-active %s" % tty_unit) != "active", 15, 0.5),
              "%s; unit %s" % (session_props(vm, tty_sid, "State"), sh(vm, "systemctl is-active %s" % tty_unit)))
    print("note: idle groundwork took %.0f s" % (time.monotonic() - t0), flush=True)


def main():
    if not os.path.exists(VAKTD):
        print("FAIL %s does not exist (make first)" % VAKTD)
        print("system: 0 passed, 1 failed")
        return 1
    os.makedirs(WORK, exist_ok=True)
    vm = VM(CACHE, WORK)
    t0 = time.monotonic()
    try:
        try:
            boot = vm.boot()
        except VMError as e:
            check("guest boots", False, str(e))
            return 1
        print("guest booted in %.1f s (%s)" % (boot, WORK), flush=True)
        ready = all(vm.console_ready(c, 120) for c in ("hvc0", "hvc1"))
        check("autologin shells answer on hvc0 (alice) and hvc1 (bob)", ready)
        seat = sh(vm, "loginctl show-seat seat0 -p ActiveSession --value")
        user = sh(vm, "loginctl show-session %s -p Name --value" % seat) if seat else ""
        check("alice is the active session on seat0 (tty1)", user == "alice", "active=%s user=%s" % (seat, user))
        install(vm)
        running = test_start(vm)
        if not running:
            print("note: vaktd is not running; the tests below will mostly fail")
        for t in (test_block, test_keyboard, test_reload, test_allow, test_read_only, test_sudo,
                  test_audit_routine, test_audit_actions, test_audit_stop, test_stable,
                  test_fail_closed, test_idle_groundwork):
            try:
                t(vm)
            except VMError as e:
                check("%s finished" % t.__name__, False, str(e))
            if not vm.alive():
                check("QEMU still running after %s" % t.__name__, False)
                break
    finally:
        if vm.alive():
            try:
                with open(os.path.join(WORK, "journal.txt"), "w") as f:
                    f.write(vm.guest_exec("journalctl -b --no-pager -o short-precise", timeout=60)[1])
                with open(os.path.join(WORK, "vaktd.json"), "w") as f:
                    f.write(vm.guest_exec("journalctl -u vaktd -o json --no-pager", timeout=60)[1])
            except VMError:
                pass
            if os.environ.get("VAKT_SYSTEM_KEEP"):
                input("guest kept running (%s); Enter ends it " % WORK)
        vm.shutdown()
        print("logs: %s/{journal.txt,vaktd.json,serial.log,hvc0.log,hvc1.log,hvc2.log,qemu.log}; %.0f s in the guest"
              % (WORK, time.monotonic() - t0))
        print("system: %d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    # timeout(1) or a CI runner ends us with SIGTERM: still shut the guest down.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
