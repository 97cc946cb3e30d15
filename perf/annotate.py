#!/usr/bin/env python3
"""Per-instruction samples of the JIT's C2 code, with no hsdis.

    perf/annotate.py JVM_LOG PERF_DATA [METHOD [TOP]]

JVM_LOG is the log of a run with -XX:+UnlockDiagnosticVMOptions -XX:+LogVMOutput
-XX:LogFile=JVM_LOG -XX:CompileCommand=print,CLASSES: without the hsdis plugin (Temurin has
none, and Debian's libhsdis0-fcml lacks the interface JDK 25 asks for) the JVM prints each
compiled method's machine code as hex, which this script disassembles with objdump. PERF_DATA is
`perf record` of the same process (perf/profile.sh makes both with PROFILE_ASM=1).

Prints the C2 methods by samples; with METHOD (a substring of the name), that method's TOP
hottest instructions (default 30) in address order. With a sampling timer (no PMU on a VM) a
sample lands on the instruction after the one the core waits on: a load that misses shows as
samples on the instruction that follows it.
"""
import bisect
import collections
import re
import subprocess
import sys
import tempfile

HEADER = re.compile(r'Compiled method \((c[12])\)\s+\d+\s+(\d+)\s+(%?)\s*\d\s+(\S+)')
MAIN_CODE = re.compile(r'\s*main code\s+\[0x([0-9a-f]+),0x([0-9a-f]+)\]')
LINE = re.compile(r'^\s*0x([0-9a-f]+): (.*)$')


def is_code(text):
    """A line of code bytes: hex in groups of 2 to 8 digits, '|' between the groups of four bytes."""
    tokens = text.replace('|', ' ').split()
    return bool(tokens) and all(2 <= len(t) <= 8 and len(t) % 2 == 0 and re.fullmatch('[0-9a-f]+', t) for t in tokens)


def nmethods(log):
    """The C2 methods of the log: name, code range and the code bytes by address."""
    found = []
    cur = None
    with open(log, errors='replace') as f:
        for line in f:
            m = HEADER.match(line)
            if m:
                cur = None
                if m.group(1) == 'c2':
                    cur = {'id': m.group(2), 'name': m.group(4) + (' (OSR)' if m.group(3) else ''),
                           'start': None, 'end': None, 'bytes': {}}
                    found.append(cur)
                continue
            if cur is None:
                continue
            m = MAIN_CODE.match(line)
            if m and cur['start'] is None:
                cur['start'], cur['end'] = int(m.group(1), 16), int(m.group(2), 16)
                continue
            m = LINE.match(line)
            if m and is_code(m.group(2)):
                at = int(m.group(1), 16)
                for i, b in enumerate(bytes.fromhex(re.sub(r'[^0-9a-f]', '', m.group(2)))):
                    cur['bytes'][at + i] = b
    return [n for n in found if n['start'] is not None and n['bytes']]


def samples(data):
    out = subprocess.run(['perf', 'script', '-i', data, '-F', 'ip'], capture_output=True, text=True,
                         check=True).stdout
    ips = collections.Counter()
    for word in out.split():
        ips[int(word, 16)] += 1
    return ips


def disassemble(n):
    start = n['start']
    end = min(n['end'], max(n['bytes']) + 1)
    code = bytes(n['bytes'].get(a, 0x90) for a in range(start, end))
    with tempfile.NamedTemporaryFile(suffix='.bin') as f:
        f.write(code)
        f.flush()
        out = subprocess.run(['objdump', '-D', '-b', 'binary', '-m', 'i386:x86-64', '-M', 'intel',
                              f'--adjust-vma={start:#x}', f.name], capture_output=True, text=True,
                             check=True).stdout
    insns = []
    for line in out.splitlines():
        m = re.match(r'\s*([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*(.*)', line)
        if m:
            insns.append((int(m.group(1), 16), m.group(2).strip()))
    return insns


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    methods = nmethods(sys.argv[1])
    ips = samples(sys.argv[2])
    total = sum(ips.values())
    starts = sorted((n['start'], i) for i, n in enumerate(methods))
    per = collections.Counter()
    for ip, c in ips.items():
        k = bisect.bisect_right(starts, (ip, len(methods))) - 1
        if k >= 0 and ip < methods[starts[k][1]]['end']:
            per[starts[k][1]] += c
    print(f'{total} samples; C2 methods by samples:')
    for i, c in per.most_common(15):
        print(f'{c:8d} {100.0 * c / total:5.1f} %  {methods[i]["name"]} (compile {methods[i]["id"]})')
    if len(sys.argv) < 4:
        return
    want = sys.argv[3]
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 30
    chosen = [i for i, _ in per.most_common() if want in methods[i]['name']]
    if not chosen:
        sys.exit(f'annotate.py: no sampled C2 method matches {want!r}')
    n = methods[chosen[0]]
    insns = disassemble(n)
    addrs = [a for a, _ in insns]
    counts = collections.Counter()
    for ip, c in ips.items():
        if n['start'] <= ip < n['end']:
            k = bisect.bisect_right(addrs, ip) - 1
            if k >= 0:
                counts[addrs[k]] += c
    own = sum(counts.values())
    print(f'\n{n["name"]} (compile {n["id"]}): {own} samples, the {top} hottest instructions:')
    hot = {a for a, _ in counts.most_common(top)}
    for a, text in insns:
        if a in hot:
            print(f'{counts[a]:7d} {100.0 * counts[a] / own:5.1f} %  {a:#x}  {text}')


if __name__ == '__main__':
    main()
