#!/usr/bin/python3
# Captures kernel audit records from the multicast group (AUDIT_NLGRP_READLOG) and prints them
# in auditd's text form ("type=NAME msg=audit(...): ..."), one per line, until SIGTERM/SIGINT.
# Needs root (CAP_AUDIT_READ) and "auditctl -e 1". Used to record tests/data/audit/*.log.
import ctypes
import signal
import socket
import struct
import sys

libaudit = ctypes.CDLL("libaudit.so.1")
libaudit.audit_msg_type_to_name.restype = ctypes.c_char_p

s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 9)
s.bind((0, 1))
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
out = open(sys.argv[1], "w") if len(sys.argv) > 1 else sys.stdout
try:
    while True:
        data = s.recv(65536)
        ln, typ = struct.unpack_from("=IH", data)
        text = data[16:ln].rstrip(b"\0").decode("utf-8", "backslashreplace")
        name = libaudit.audit_msg_type_to_name(typ)
        name = name.decode() if name else "UNKNOWN[%d]" % typ
        out.write("type=%s msg=%s\n" % (name, text))
        out.flush()
except KeyboardInterrupt:
    pass
