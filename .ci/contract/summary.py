"""One line per failure of a schemathesis run's output (read on stdin): the operation and the
checks it failed, so the end of a long CI log says what broke. Details stay above it."""

import re
import sys

text = sys.stdin.read()
blocks = re.split(r"\n_{3,} (\w+ \S+) _{3,}\n", text)
for operation, body in zip(blocks[1::2], blocks[2::2]):
    checks = sorted(set(re.findall(r"^- (ST\d+ [^\n]+)$", body, re.M)))
    statuses = sorted(set(re.findall(r"^\[(\d{3})\] ", body, re.M)))
    print(f"   {operation}: {'; '.join(checks) or 'see above'} (answered {', '.join(statuses) or '?'})")
