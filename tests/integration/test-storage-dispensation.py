# Written dispensations (issue 14), through their store: a dispensations file in vaktd's state
# directory, written before the start as vaktd writes it. Real vaktd, umockdev devices, logind
# from python3-dbusmock, real local users. Shows: a person's dispensation lets their stick in
# and the record names it (id, ticket, granting administrator); it is nothing at a locked seat
# and nothing for another person; a damaged entry is reported with FILE:LINE while the valid ones
# are honoured and the daemon stays up (the damaged file is kept as dispensations.corrupt); a
# restart keeps them; one that expires while vaktd runs is recorded as dispensation.expired and
# the present stick is blocked again without a replug; one that ended while vaktd was down is
# recorded at the start. (Granting and revoking over the control socket are tested with vaktctl.)
import os
import shutil
import tempfile
import time

import storage_testbed as st

GRP = 'vakt-test-dgrp'
ALICE, BOB = 'vakt-test-dalice', 'vakt-test-dbob'
USEC = 1000000


def entry(did, user, uid, not_after, device=None, mode='allow', ticket='HD-4711',
          reason='copies the lab measurements for the audit', granted_at=None):
    lines = ['', 'id=' + did, 'user=' + user, 'uid=%d' % uid]
    if device:
        lines.append('device=' + device)
    lines += ['mode=' + mode, 'not_after=%d' % not_after,
              'granted_at=%d' % (granted_at or int(time.time()) * USEC), 'granted_by=root',
              'granted_by_uid=0', 'ticket=' + ticket, 'reason=' + reason]
    return '\n'.join(lines) + '\n'


def write_store(state, text):
    os.makedirs(state, mode=0o700, exist_ok=True)
    with open(os.path.join(state, 'dispensations'), 'w') as f:
        f.write('format=1\n' + text)


def ids_in(path):
    with open(path) as f:
        return [line[3:].strip() for line in f if line.startswith('id=')]


def run():
    accounts = st.LocalAccounts()
    bus = logind = v = None
    state = tempfile.mkdtemp(prefix='vakt-test-state.')
    store = os.path.join(state, 'dispensations')
    rc = 0
    try:
        accounts.group(GRP)
        alice = accounts.user(ALICE, [GRP])
        bob = accounts.user(BOB, [GRP])
        bus = st.SystemBus()
        logind = st.Logind(bus)
        logind.add_seat('seat0')
        logind.add_session('c1', 'seat0', alice, ALICE)
        env = {'DBUS_SYSTEM_BUS_ADDRESS': bus.address}
        text = st.conf(default='block', while_locked='block')
        hour = (int(time.time()) + 3600) * USEC

        # A valid dispensation for alice's stick, one for bob, and a damaged one between them
        # (mode = block is no dispensation).
        good = entry('d-0000000a', ALICE, alice, hour, device='0951:1666')
        bad = entry('d-0000000b', ALICE, alice, hour, mode='block')
        other = entry('d-0000000c', BOB, bob, hour)
        write_store(state, good + bad + other)
        with open(store) as f:
            bad_line = [i + 1 for i, line in enumerate(f) if line == 'mode=block\n'][0]

        tb = st.Testbed()
        hub = tb.add_root_hub()
        v = st.Vaktd(tb, text, env, state_dir=state)
        v.ready()
        v.wait_logind()

        # The damaged entry: FILE:LINE and what is wrong; the valid ones are kept.
        want = '%s:%d: mode is neither allow nor read-only' % (store, bad_line)
        r = v.wait(lambda r: want in r.get('MESSAGE', ''), what='the fault with FILE:LINE')
        st.check(r.get('PRIORITY') == '3', 'fault priority %r' % r.get('PRIORITY'), v)
        v.wait(lambda r: 'is damaged: 1 fault(s); the 2 valid dispensation(s)' in
               r.get('MESSAGE', ''), what='the summary of the damaged file')
        st.check(os.path.exists(store + '.corrupt'), 'the damaged file was not kept', v)
        st.check(ids_in(store + '.corrupt') == ['d-0000000a', 'd-0000000b', 'd-0000000c'],
                 'the kept copy is not the damaged file', v)
        st.check(ids_in(store) == ['d-0000000a', 'd-0000000c'],
                 'store rewritten as %r' % ids_in(store), v)
        st.check(os.stat(store).st_mode & 0o777 == 0o600, 'store mode %o' % os.stat(store).st_mode,
                 v)

        # alice's stick: allowed by her dispensation, named in the record.
        rule = 'dispensation d-0000000a (ticket HD-4711, granted by root)'
        dev = tb.add_device('stick', hub, '1-1')
        r = v.wait_event('storage.allowed', dev, VAKT_DECISION='allow')
        st.check(r.get('VAKT_RULE') == rule, 'rule %r' % r.get('VAKT_RULE'), v)
        st.check(r.get('VAKT_USER') == ALICE, 'user %r' % r.get('VAKT_USER'), v)
        st.check('as decided by ' + rule in r.get('MESSAGE', ''), 'message %r' % r.get('MESSAGE'),
                 v)
        st.check(tb.wait_attr(dev, 'authorized', '1'), 'stick not authorised', v)

        # Another stick model is not hers by the dispensation: blocked by the default.
        card = tb.add_device('cardreader', hub, '1-2')
        r = v.wait_event('storage.blocked', card, VAKT_DECISION='block')
        st.check(r.get('VAKT_RULE', '').startswith('default '), 'rule %r' % r.get('VAKT_RULE'), v)
        tb.remove(card)
        v.wait_event('storage.removed', card)

        # Locked: a new stick is held back by while_locked, dispensation or not.
        logind.set_locked('c1', True)
        dev2 = tb.add_device('stick', hub, '1-3')
        r = v.wait_event('storage.blocked', dev2, VAKT_DECISION='block')
        st.check(r.get('VAKT_RULE', '').startswith('while_locked '), 'rule %r' % r.get('VAKT_RULE'),
                 v)
        tb.remove(dev2)
        v.wait_event('storage.removed', dev2)
        logind.set_locked('c1', False)

        # Restart: the dispensations are still there, the present stick is allowed again, and
        # the store is clean now.
        rc = v.stop()
        st.check(rc == 0, 'vaktd exit code %s' % rc)
        v = st.Vaktd(tb, text, env, state_dir=state)
        v.ready()
        v.wait_logind()
        r = v.wait_event('storage.allowed', dev, VAKT_DECISION='allow')
        st.check(r.get('VAKT_RULE') == rule, 'rule after restart %r' % r.get('VAKT_RULE'), v)
        v.wait(lambda r: r.get('MESSAGE', '') == '2 dispensation(s) loaded from %s.' % store,
               what='the loaded dispensations')
        st.check(not any('damaged' in r.get('MESSAGE', '') for r in v.records),
                 'the rewritten store was reported damaged', v)
        rc = v.stop()
        st.check(rc == 0, 'vaktd exit code %s' % rc)

        # Expiry: alice's stick gets a dispensation ending in 3 s; one ended while vaktd was
        # down. The expiry is recorded and the present stick is blocked without a replug.
        os.unlink(store + '.corrupt')
        soon = (int(time.time()) + 3) * USEC
        write_store(state, entry('d-000000e1', ALICE, alice, soon, device='0951:1666:1C6F654E5A',
                                 mode='read-only', ticket='HD-4800', reason='one short copy')
                    + entry('d-000000e0', BOB, bob, (int(time.time()) - 60) * USEC,
                            granted_at=(int(time.time()) - 3600) * USEC))
        v = st.Vaktd(tb, text, env, state_dir=state)
        v.ready()
        r = v.wait_event('dispensation.expired', VAKT_DISPENSATION_ID='d-000000e0')
        st.check('while vaktd was not running' in r.get('MESSAGE', ''),
                 'message %r' % r.get('MESSAGE'), v)
        v.wait_logind()
        r = v.wait_event('storage.read_only', dev, VAKT_DECISION='read-only')
        st.check(r.get('VAKT_RULE') == 'dispensation d-000000e1 (ticket HD-4800, granted by root)',
                 'rule %r' % r.get('VAKT_RULE'), v)
        n = len(v.records)
        r = v.wait_event('dispensation.expired', timeout=15, VAKT_DISPENSATION_ID='d-000000e1')
        want = {'VAKT_TARGET_USER': ALICE, 'VAKT_TARGET_UID': str(alice),
                'VAKT_GRANTED_BY': 'root', 'VAKT_GRANTED_BY_UID': '0', 'VAKT_TICKET': 'HD-4800',
                'VAKT_DISPENSATION_REASON': 'one short copy', 'VAKT_DECISION': 'read-only',
                'VAKT_DISPENSATION_DEVICE': '0951:1666:1C6F654E5A',
                'VAKT_DEVICE_VENDOR_ID': '0951', 'VAKT_DEVICE_PRODUCT_ID': '1666',
                'VAKT_DEVICE_SERIAL': '1C6F654E5A', 'VAKT_NOT_AFTER_USEC': str(soon),
                'VAKT_NOT_AFTER': time.strftime('%Y-%m-%dT%H:%M:%SZ',
                                                time.gmtime(soon // USEC))}
        for k, val in want.items():
            st.check(r.get(k) == val, '%s %r, expected %r' % (k, r.get(k), val), v)
        st.check(r.get('PRIORITY') == '6', 'expired priority %r' % r.get('PRIORITY'), v)
        r = v.wait_event('storage.blocked', dev, since=n, VAKT_DECISION='block')
        st.check(r.get('VAKT_RULE', '').startswith('default '), 'rule %r' % r.get('VAKT_RULE'), v)
        st.check(tb.wait_attr(dev, 'authorized', '0'), 'expired stick still authorised', v)
        st.check(ids_in(store) == [], 'store after expiry %r' % ids_in(store), v)
    finally:
        rc = v.stop() if v else rc
        if logind:
            logind.stop()
        if bus:
            bus.stop()
        accounts.remove()
        shutil.rmtree(state, ignore_errors=True)
    st.check(rc == 0, 'vaktd exit code %s' % rc)


st.main(run)
