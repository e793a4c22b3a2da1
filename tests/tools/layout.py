#!/usr/bin/python3
"""make lint: the layout of STYLE.md, checked without a reviewer.

- daemon/: every file is a shared adapter (ADAPTERS below) or belongs to a part by its prefix
  (storage-*, audit-*, ...; the part's internal header is PART.h), and every part has a
  PART-part.c that defines its part_ops. vaktctl's sources live in daemon/vaktctl/.
- lib/: one prefix per header: every function a lib/NAME.h or lib/NAME-*.h declares starts with
  NAME_ (events.h: event_).
Prints each violation and exits 1 when there is any.
"""
import os
import re
import sys

ADAPTERS = {'main.c', 'manager.c', 'manager.h', 'part.h', 'log.c', 'log.h', 'logind.c',
            'logind.h', 'logind-table.c', 'logind-internal.h', 'control.c', 'control.h',
            'nss.c', 'nss.h', 'reload.c', 'reload.h', 'saved-policy.c', 'saved-policy.h',
            'clock.h', 'udev-util.h', 'notify-user.c', 'notify-user.h'}
PARTS = ('storage', 'audit', 'idle')
PREFIX_OF = {'events': 'event'}

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
problems = []

for name in sorted(os.listdir(os.path.join(root, 'daemon'))):
    path = os.path.join(root, 'daemon', name)
    if os.path.isdir(path):
        if name != 'vaktctl':
            problems.append('daemon/%s/: only daemon/vaktctl/ may be a folder' % name)
        continue
    if name in ADAPTERS:
        continue
    part = re.match(r'^(%s)(-[a-z0-9-]+)?\.[ch]$' % '|'.join(PARTS), name)
    if not part:
        problems.append('daemon/%s: neither a shared adapter nor named after a part (%s-*)'
                        % (name, '-*, '.join(PARTS)))

for part in PARTS:
    files = [f for f in os.listdir(os.path.join(root, 'daemon')) if f.startswith(part + '-')]
    if not files:
        continue
    entry = os.path.join(root, 'daemon', part + '-part.c')
    if not os.path.exists(entry):
        problems.append('daemon/%s-part.c: missing (the %s part has files)' % (part, part))
    elif not re.search(r'const struct part_ops %s_part = \{' % part, open(entry).read()):
        problems.append('daemon/%s-part.c: does not define %s_part' % (part, part))

DECL = re.compile(r'^(?!typedef|DEFINE_FREEP|#|static inline)[A-Za-z_][^;(]*?\b([a-z_][a-z0-9_]*)\s*\(')
for name in sorted(os.listdir(os.path.join(root, 'lib'))):
    if not name.endswith('.h') or name == 'macro.h':
        continue
    concept = name[:-2].split('-')[0]
    prefix = PREFIX_OF.get(concept, concept) + '_'
    for i, line in enumerate(open(os.path.join(root, 'lib', name)), 1):
        m = DECL.match(line)
        if m and not m.group(1).startswith(prefix):
            problems.append('lib/%s:%d: %s() does not start with %s' % (name, i, m.group(1), prefix))

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
