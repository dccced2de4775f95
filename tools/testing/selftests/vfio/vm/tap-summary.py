#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
#
# Count the results of the framed TAP streams in a test log
# ("VFIOTEST BEGIN name" ... "VFIOTEST END name rc=N"): each top-level
# "ok"/"not ok" line is one test; "# SKIP" marks a skip.  A program that
# planned more tests than it reported, or exited non-zero without a
# failure, or printed no TAP at all, has the difference counted failed.
# Prints one line per program, then the skips grouped by program and
# reason, and ends with "N passed, N failed".
import re
import sys

begin = re.compile(r'^VFIOTEST BEGIN (\S+)$')
end = re.compile(r'^VFIOTEST END (\S+) rc=(\d+)$')
result = re.compile(r'^(not ok|ok) \d+')
plan = re.compile(r'^1\.\.(\d+)$')

totals = [0, 0, 0]
programs = 0
# (program, reason) -> how many tests skipped for it.
skips = {}


def close(name, counts, planned, rc):
    global programs
    passed, failed, skipped = counts
    seen = passed + failed + skipped
    notes = []
    if planned is not None and seen < planned:
        failed += planned - seen
        notes.append('%d planned tests never reported' % (planned - seen))
    if seen == 0 and planned is None:
        failed += 1
        notes.append('no TAP output')
    elif rc != 0 and failed == 0:
        failed += 1
        notes.append('exited with status %d' % rc)
    print('%-28s %3d passed, %d failed, %d skipped%s' % (
        name, passed, failed, skipped,
        ' (' + '; '.join(notes) + ')' if notes else ''))
    totals[0] += passed
    totals[1] += failed
    totals[2] += skipped
    programs += 1


current = None
for raw in open(sys.argv[1], errors='replace'):
    line = raw.rstrip('\r\n')
    m = begin.match(line)
    if m:
        if current:
            close(current[0], current[1], current[2], 1)
        current = (m.group(1), [0, 0, 0], None)
        continue
    if not current:
        continue
    m = end.match(line)
    if m:
        close(current[0], current[1], current[2], int(m.group(2)))
        current = None
        continue
    m = plan.match(line)
    if m and current[2] is None:
        current = (current[0], current[1], int(m.group(1)))
        continue
    m = result.match(line)
    if m:
        if m.group(1) == 'not ok':
            current[1][1] += 1
        elif re.search(r'#\s*SKIP', line, re.I):
            current[1][2] += 1
            why = re.split(r'#\s*SKIP\s*', line, 1, flags=re.I)[1]
            key = (current[0], why.strip() or '(no reason given)')
            skips[key] = skips.get(key, 0) + 1
        else:
            current[1][0] += 1
if current:
    close(current[0], current[1], current[2], 1)
    print('%s: the run stopped before it finished' % current[0])

if skips:
    print('skipped, by program and reason:')
    for (name, why), n in sorted(skips.items()):
        print('  %-26s %3d  %s' % (name, n, why))

line = '%d passed, %d failed' % (totals[0], totals[1])
if totals[2]:
    line += ', %d skipped' % totals[2]
print(line)
sys.exit(1 if totals[1] or not programs else 0)
