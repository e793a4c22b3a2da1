# The USB door around vaktd:
#  - systemd/vakt-door (run by vakt-door.service early at boot, with no policy and no vaktd)
#    closes every root hub and usbcore's default for controllers added later;
#  - vaktd in enforce mode closes the same three switches and removes the open-door marker;
#  - in observe mode, or with the storage part off, vaktd opens the door again, creates
#    RUNTIME_DIR/usb-door-open (which makes the udev rule leave new controllers open) and, at
#    start, authorises the devices and interfaces that waited at the door; a reload that stops
#    enforcing opens the door and leaves present devices as they are. (A reload from observe to
#    enforce needs a restart: CAP_SYS_ADMIN was dropped.)
import os
import shutil
import signal
import subprocess
import tempfile

import storage_testbed as st

SCRIPT = os.path.join(st.SRC, 'systemd', 'vakt-door')


class Bed:
    def __init__(self):
        self.tb = st.Testbed()
        self.hubs = [self.tb.add_root_hub(1), self.tb.add_root_hub(2)]
        self.param_dir = os.path.join(self.tb.sys, 'module', 'usbcore', 'parameters')
        os.makedirs(self.param_dir, exist_ok=True)
        self.set_param('1')

    def set_param(self, v):
        with open(os.path.join(self.param_dir, 'authorized_default'), 'w') as f:
            f.write(v)

    def param(self):
        with open(os.path.join(self.param_dir, 'authorized_default')) as f:
            return f.read().strip()

    def doors(self):
        return [(self.tb.attr(h, 'authorized_default'),
                 self.tb.attr(h, 'interface_authorized_default')) for h in self.hubs]

    def set_doors(self, v):
        for h in self.hubs:
            for a in ('authorized_default', 'interface_authorized_default'):
                with open(self.tb.path(h, a), 'w') as f:
                    f.write(v)


def boot_script_closes_every_door(bed):
    env = dict(os.environ, UMOCKDEV_DIR=bed.tb.root, LD_PRELOAD='libumockdev-preload.so.0')
    p = subprocess.run(['/bin/sh', SCRIPT], env=env, capture_output=True, text=True, timeout=30)
    st.check(p.returncode == 0, 'vakt-door exit %d: %s' % (p.returncode, p.stderr))
    st.check(bed.doors() == [('0', '0'), ('0', '0')], 'root hubs: %s' % bed.doors())
    st.check(bed.param() == '0', 'usbcore authorized_default %s' % bed.param())
    st.check(p.stdout.count('new devices wait for vaktd') == 2, p.stdout)


def observe_opens_the_door(bed, run_dir):
    """After a boot that closed the door: vaktd in observe mode opens it and authorises what
    waited at it, as the machine would have without vakt."""
    hub = bed.hubs[0]
    kbd = bed.tb.add_device('keyboard', hub, '1-1')                    # waited: authorized=0
    stick = bed.tb.add_device('stick', hub, '1-2', serial='WAITED')     # waited
    compo = bed.tb.add_device('composite', hub, '1-3', authorized='1')  # authorised before,
    intfs = bed.tb.add_interfaces('composite', compo)                   # interfaces held back
    v = st.Vaktd(bed.tb, st.conf(mode='observe'), args=['--runtime-dir', run_dir])
    marker = os.path.join(run_dir, 'usb-door-open')
    try:
        v.ready()
        st.check(bed.doors() == [('1', '1'), ('1', '1')], 'door closed: %s' % bed.doors(), v)
        st.check(bed.param() == '1', 'new controllers closed in observe mode', v)
        st.check(os.path.exists(marker), 'no %s' % marker, v)
        for d in (kbd, stick):
            st.check(bed.tb.attr(d, 'authorized') == '1', '%s still waits' % d, v)
        for i in intfs:
            st.check(bed.tb.attr(i, 'authorized') == '1', '%s still waits' % i, v)
        r = v.wait_event('storage.blocked', stick, VAKT_RESULT='observe')
        st.check('would have been' in r.get('MESSAGE', ''), 'observe record', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'exit code %s' % rc)
    for d in (kbd, compo):
        bed.tb.remove(d)
    return stick


def enforce_closes_it_and_off_opens_it(bed, run_dir, stick):
    """Enforce: the door closes and the marker goes, present devices are decided. A reload to
    off opens the door and leaves the blocked stick blocked."""
    marker = os.path.join(run_dir, 'usb-door-open')
    v = st.Vaktd(bed.tb, st.conf(mode='enforce'), args=['--runtime-dir', run_dir])
    try:
        v.ready()
        st.check(bed.doors() == [('0', '0'), ('0', '0')], 'door open: %s' % bed.doors(), v)
        st.check(bed.param() == '0', 'new controllers open in enforce mode', v)
        st.check(not os.path.exists(marker), 'marker left in enforce mode', v)
        v.wait_event('storage.blocked', stick)
        st.check(bed.tb.attr(stick, 'authorized') == '0', 'stick authorised in enforce', v)

        v.write_conf(st.conf(mode='off'))
        n = len(v.records)
        v.proc.send_signal(signal.SIGHUP)
        v.wait_event('policy.loaded', timeout=10, since=n)
        st.check(bed.doors() == [('1', '1'), ('1', '1')], 'door closed: %s' % bed.doors(), v)
        st.check(bed.param() == '1', 'new controllers closed with storage off', v)
        st.check(os.path.exists(marker), 'no marker with storage off', v)
        st.check(bed.tb.attr(stick, 'authorized') == '0', 'reload authorised the stick', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'exit code %s' % rc)
    bed.tb.remove(stick)


def off_at_start_opens_the_door(bed):
    bed.set_doors('0')
    bed.set_param('0')
    kbd = bed.tb.add_device('keyboard', bed.hubs[1], '2-1')
    v = st.Vaktd(bed.tb, st.conf(mode='off'))
    try:
        v.ready()
        st.check(bed.doors() == [('1', '1'), ('1', '1')], 'door closed: %s' % bed.doors(), v)
        st.check(bed.param() == '1', 'new controllers closed with storage off', v)
        st.check(bed.tb.attr(kbd, 'authorized') == '1', 'keyboard still waits', v)
        st.check(os.path.exists(os.path.join(v.run_dir, 'usb-door-open')), 'no marker', v)
    finally:
        rc = v.stop()
    st.check(rc == 0, 'exit code %s' % rc)


def run():
    bed = Bed()
    run_dir = tempfile.mkdtemp(prefix='vakt-run.')
    try:
        boot_script_closes_every_door(bed)
        stick = observe_opens_the_door(bed, run_dir)
        enforce_closes_it_and_off_opens_it(bed, run_dir, stick)
        off_at_start_opens_the_door(bed)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


st.main(run)
