#!/usr/bin/python3
"""What vaktd says about itself is true (issue 17, items 1 and 2), with the real vaktd and a
notify socket as systemd's: policy.loaded and STATUS= name each part with its mode (observe is
not "enforcing"); a reload refused shows in STATUS= until a valid one loads; `vaktd --reload PID`
(the unit's ExecReload=) exits 0 when the new policy loaded, 1 with the problems when it was
refused, 2 when no daemon answers; observe-mode records carry VAKT_MODE=observe."""

import os
import signal
import socket
import subprocess
import time

import vaktlib as vl

MIXED = """\
[storage]
mode = observe
[idle]
mode = enforce
text_sessions_after = 0
[audit]
mode = off
"""

OBSERVE_ONLY = """\
[storage]
mode = observe
[idle]
mode = observe
[audit]
mode = off
"""


class Notify:
    """The notify socket vaktd reports to, as systemd's."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.1)
        self.status = None

    def drain(self, seconds=0.3):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                msg = self.sock.recv(65536).decode()
            except socket.timeout:
                continue
            for line in msg.split('\n'):
                if line.startswith('STATUS='):
                    self.status = line[len('STATUS='):]
        return self.status


def reload(v, pid=None):
    r = subprocess.run([vl.VAKTD, '--reload', str(pid or v.proc.pid), '--runtime-dir', v.run_dir],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=90)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def run():
    tmp = vl.tempfile.mkdtemp(prefix='vakt-status.')
    notify = Notify(os.path.join(tmp, 'notify'))
    v = vl.Vaktd(MIXED, {'NOTIFY_SOCKET': os.path.join(tmp, 'notify'),
                         'DBUS_SYSTEM_BUS_ADDRESS': 'unix:path=%s/no-bus' % tmp})
    try:
        r = v.wait_event('policy.loaded', timeout=10)
        vl.check(r.get('VAKT_PARTS') == 'storage=observe idle=enforce audit=off',
                 'VAKT_PARTS %r' % r.get('VAKT_PARTS'), v)
        msg = r.get('MESSAGE', '')
        vl.check('enforcing: idle' in msg and 'storage' in msg.split('observing')[1] and
                 'off: audit' in msg, 'message %r' % msg, v)
        vl.check('enforcing: storage' not in msg, 'observe said to enforce: %r' % msg, v)
        status = notify.drain(1.0)
        vl.check(status is not None and status.startswith('Enforcing: idle') and
                 'observing' in status and 'storage' in status and 'off: audit' in status,
                 'STATUS=%r' % status, v)

        # A refused reload: exit 1 with the problem, STATUS= says so and keeps saying it.
        v.write_conf(MIXED + 'bogus_key = 1\n')
        rc, out, err = reload(v)
        vl.check(rc == 1 and 'REFUSED' in err and "unknown key 'bogus_key'" in err,
                 'refused reload: rc=%d out=%r err=%r' % (rc, out, err), v)
        v.wait_event('policy.invalid', timeout=5)
        status = notify.drain(0.5)
        vl.check(status.startswith('Reload REFUSED') and 'storage' in status,
                 'STATUS after a refused reload %r' % status, v)
        time.sleep(0.5)
        vl.check(notify.drain(0.3).startswith('Reload REFUSED'), 'the refusal vanished', v)

        # A policy that needs a capability dropped at start is refused too, and says why.
        v.write_conf(MIXED.replace('mode = observe', 'mode = enforce', 1))
        rc, out, err = reload(v)
        vl.check(rc == 1 and 'restart vaktd' in err, 'capability: rc=%d err=%r' % (rc, err), v)

        # A valid one: exit 0, STATUS= clean again, modes follow; nothing enforced is said so.
        n = len(v.records)
        v.write_conf(OBSERVE_ONLY)
        rc, out, err = reload(v)
        vl.check(rc == 0 and 'loaded' in out, 'reload: rc=%d out=%r err=%r' % (rc, out, err), v)
        r = v.wait(lambda x: x.get('VAKT_EVENT') == 'policy.loaded', 5, 'reloaded', since=n)
        vl.check(r.get('VAKT_PARTS') == 'storage=observe idle=observe audit=off',
                 'VAKT_PARTS after reload %r' % r.get('VAKT_PARTS'), v)
        vl.check('nothing enforced' in r.get('MESSAGE', ''), 'message %r' % r.get('MESSAGE'), v)
        status = notify.drain(0.5)
        vl.check(status.startswith('Nothing enforced') and 'REFUSED' not in status,
                 'STATUS after a valid reload %r' % status, v)

        # No daemon at that pid: 2.
        rc, _, err = reload(v, pid=2 ** 22 + 7)
        vl.check(rc == 2 and 'cannot signal' in err, 'no daemon: rc=%d err=%r' % (rc, err), v)
        # A daemon that never answers (stopped): 2, after the wait. Not run: 60 s.
        vl.check(v.proc.poll() is None, 'vaktd died', v)
    finally:
        rc = v.stop()
        vl.shutil.rmtree(tmp, ignore_errors=True)
    vl.check(rc == 0, 'vaktd exit code %s' % rc)


vl.main(run)
