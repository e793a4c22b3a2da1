#!/usr/bin/python3
# Runs a command on a new pseudo-terminal (its controlling tty, as a terminal login gives) and plays
# a script against it, the way a person types: prompts are awaited, then text, Ctrl-C or Ctrl-D is
# sent. Used by audit-scenarios.sh to capture real records of sudo, su, login and passwd prompts.
#
#   ptydrive.py [--log FILE] COMMAND [ARG...] -- STEP...
#
# Steps: expect:REGEX  line:TEXT (TEXT + Enter)  send:TEXT  intr (Ctrl-C)  eof (Ctrl-D)
#        sleep:SECONDS  tab (Tab key).  After the last step the command is waited for (20 s).
# Exit status: 0 when every expect matched (whatever the command's exit status), 1 otherwise.
import sys
import time

import pexpect


def main(argv):
    log = None
    if argv[:1] == ["--log"]:
        log = open(argv[1], "w")
        argv = argv[2:]
    if "--" not in argv:
        sys.exit("usage: ptydrive.py [--log FILE] COMMAND [ARG...] -- STEP...")
    cut = argv.index("--")
    cmd, steps = argv[:cut], argv[cut + 1:]
    child = pexpect.spawn(cmd[0], cmd[1:], encoding="utf-8", timeout=15,
                          dimensions=(40, 120))
    if log:
        child.logfile_read = log
    ok = True
    for step in steps:
        verb, _, arg = step.partition(":")
        try:
            if verb == "expect":
                child.expect(arg)
            elif verb == "line":
                child.sendline(arg)
            elif verb == "send":
                child.send(arg)
            elif verb == "intr":
                child.sendintr()
            elif verb == "eof":
                child.sendeof()
            elif verb == "tab":
                child.send("\t")
            elif verb == "sleep":
                time.sleep(float(arg))
            else:
                sys.exit("unknown step " + step)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            print("ptydrive: step %r: %s" % (step, type(e).__name__), file=sys.stderr)
            print("ptydrive: last output: %r" % child.before, file=sys.stderr)
            ok = False
            break
    try:
        child.expect(pexpect.EOF, timeout=20)
    except pexpect.TIMEOUT:
        print("ptydrive: command did not end; closing it", file=sys.stderr)
        ok = False
    child.close(force=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
