#!/usr/bin/python3
# Keeps the audit events of a capture (audit-capture.py output on stdin) that belong to a test:
# every record of an event (same msg=audit(TIME:SERIAL)) in which some record names one of the
# given uids (auid=, uid=, old-auid=), one of the given account names (acct=), or a rule key
# starting with the given prefix. The capture tool's own events are dropped. Order is kept.
#
#   audit-filter.py --uid 1001 --uid 1002 --name vakt-test-a13-alice --key vakt-test-a13 <raw >out
import argparse
import re
import sys

ap = argparse.ArgumentParser()
ap.add_argument("--uid", action="append", default=[])
ap.add_argument("--name", action="append", default=[])
ap.add_argument("--key", action="append", default=[])
args = ap.parse_args()

stamp = re.compile(r"msg=audit\(([0-9]+\.[0-9]+:[0-9]+)\)")
uid_re = re.compile(r"(?:^| )(?:auid|uid|old-auid)=(%s)(?= |$|')" %
                    "|".join(map(re.escape, args.uid))) if args.uid else None
name_re = re.compile(r"acct=\"?(%s)\b" % "|".join(map(re.escape, args.name))) if args.name else None
key_re = re.compile(r"key=\"(%s)" % "|".join(map(re.escape, args.key))) if args.key else None

lines = sys.stdin.read().splitlines()
wanted, own = set(), set()
for line in lines:
    m = stamp.search(line)
    if not m:
        continue
    if "audit-capture.p" in line or "audit-capture.py" in line or line.startswith("type=EVENT_LISTENER"):
        own.add(m.group(1))
    body = line[m.end():]
    if ((uid_re and uid_re.search(body)) or (name_re and name_re.search(body))
            or (key_re and key_re.search(body))):
        wanted.add(m.group(1))
for line in lines:
    m = stamp.search(line)
    if m and m.group(1) in wanted and m.group(1) not in own:
        print(line)
