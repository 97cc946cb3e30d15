#!/usr/bin/env python3
"""
Checks the TRex profiles of this directory without TRex (none is installed on the build
machine) and without stand-ins for its modules: every file compiles; each profile has a
top-level register() and the entry point TRex v3.x calls (STL: get_streams(tunables, direction,
port_id, **kwargs) with defaults for all, as STLProfile.load_py requires; ASTF:
get_profile(tunables, **kwargs)); each profile's own argparse tunables (its parse() function,
which needs only argparse and lab.py) accept the defaults and the values RUNBOOK.md uses and
reject out-of-range ones; and make_config.py writes the rule count it is asked for.

    python3 perf/trex/check_profiles.py
"""

import argparse
import ast
import contextlib
import io
import os
import sys

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lab  # noqa: E402
import make_config  # noqa: E402

PROFILES = {
    "stl_binat.py": ("get_streams", [["--rules", "10000", "--size", "64"], ["--rules", "1", "--size", "1518"],
                                     ["--latency-pps", "0", "--rate", "14880952", "--checksum", "zero"],
                                     ["--route", "--rules", "64"]],
                     [["--rules", "0"], ["--rules", "16385"], ["--size", "63"]]),
    "stl_pfwd.py": ("get_streams", [["--clients", "64", "--ports", "16"], ["--clients", "254", "--ports", "4096"],
                                    ["--reply-delay", "2"]],
                    [["--clients", "255"], ["--size", "2000"]]),
    "stl_napt_established.py": ("get_streams", [["--sessions", "1000"], ["--sessions", "1000000"],
                                                ["--sessions", "10000000", "--servers", "160"]],
                                [["--sessions", "10000000"], ["--servers", "0"], ["--servers", "4097"]]),
    "stl_hairpin.py": ("get_streams", [["--mode", "binat", "--clients", "64"], ["--mode", "napt", "--clients", "1024"],
                                       ["--mode", "napt", "--clients", "64512"]],
                       [["--mode", "binat", "--clients", "16384"], ["--mode", "nat"], ["--clients", "0"]]),
    "astf_napt_cps.py": ("get_profile", [["--cps", "1000000"], ["--udp-share", "0"], ["--udp-share", "1"],
                                         ["--clients", "16384", "--servers", "16"]],
                         [["--udp-share", "1.5"], ["--clients", "0"], ["--cps", "0"]]),
}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def parse_function(tree, path):
    """The module's parse(tunables) alone, executed with argparse and lab only."""
    fn = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "parse"), None)
    if fn is None:
        fail(path + ": no parse(tunables)")
    ns = {"argparse": argparse, "lab": lab}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), path, "exec"), ns)
    return ns["parse"]


def check_profile(name, entry, good, bad):
    path = os.path.join(HERE, name)
    source = open(path).read()
    compile(source, path, "exec")
    tree = ast.parse(source, path)
    if not any(isinstance(n, ast.FunctionDef) and n.name == "register" for n in tree.body):
        fail(name + ": no top-level register()")
    methods = [m for c in tree.body if isinstance(c, ast.ClassDef) for m in c.body
               if isinstance(m, ast.FunctionDef) and m.name == entry]
    if len(methods) != 1:
        fail("%s: expected one %s method, found %d" % (name, entry, len(methods)))
    args = methods[0].args
    names = [a.arg for a in args.args]
    if names[:2] != ["self", "tunables"] or args.kwarg is None:
        fail("%s: %s must take (self, tunables, ..., **kwargs), takes %s" % (name, entry, names))
    if len(args.defaults) != len(names) - 1:
        fail("%s: every argument of %s after self needs a default (STLProfile.get_module_tunables)" % (name, entry))
    if entry == "get_streams" and names[2:4] != ["direction", "port_id"]:
        fail("%s: get_streams must take direction and port_id" % name)
    parse = parse_function(tree, path)
    parse([])
    for t in good:
        parse(t)
    for t in bad:
        with contextlib.redirect_stderr(io.StringIO()):
            try:
                parse(t)
            except SystemExit:
                continue
        fail("%s: accepted %s" % (name, t))
    print("ok  %-24s %s(), %d good and %d bad tunable sets" % (name, entry, len(good), len(bad)))


def check_config():
    for rules in (0, 1, 10000):
        text = make_config.render(rules, "0000:03:00.0", "0000:03:00.1", 1, 1000000)
        got = text.count("{interface: wan, external: 198.18.")
        if got != rules or ("one-to-one:" in text) != (rules > 0):
            fail("make_config --binat-rules %d wrote %d rules" % (rules, got))
    if "nat:" in make_config.render(5, "0000:03:00.0", "0000:03:00.1", 1, 1000000, nat=False):
        fail("make_config --no-nat wrote a nat section")
    with open(os.path.join(HERE, "hairpin-trex.yaml")) as f:
        if f.read() != make_config.render(1, "0000:03:00.0", "0000:03:00.1", 1, 1000000):
            fail("hairpin-trex.yaml is not make_config.py's output for --binat-rules 1")
    print("ok  make_config.py           0, 1 and 10000 rules, --no-nat; hairpin-trex.yaml is its output")


if __name__ == "__main__":
    for n in ("lab.py", "make_config.py", "check_profiles.py"):
        compile(open(os.path.join(HERE, n)).read(), n, "exec")
    for name, (entry, good, bad) in PROFILES.items():
        check_profile(name, entry, good, bad)
    check_config()
