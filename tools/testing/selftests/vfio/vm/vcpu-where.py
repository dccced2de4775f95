#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# Ask a running QEMU, through its monitor socket, where each vCPU is.
# Used by run-vm.sh when the whole guest stopped making progress.  The VM
# boots with nokaslr, so the addresses can be looked up in /proc/kallsyms
# of any boot of the same kernel (Debian's System.map is a stub).
#
#   vcpu-where.py MONITOR_SOCKET
import re
import socket
import sys
import time

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(2)
s.connect(sys.argv[1])
s.sendall(b'info registers -a\n')
out = b''
end = time.time() + 2
while time.time() < end:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        break
    if not chunk:
        break
    out += chunk
s.close()
for cpu, rip in enumerate(re.findall(r'RIP=([0-9a-f]+)', out.decode(errors='replace'))):
    print('vCPU %d: RIP %s' % (cpu, rip))
