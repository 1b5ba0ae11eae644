#!/usr/bin/python3
"""Runs one command as a child process and prints the harness's JSON report line for it: the whole process's
wall time, CPU (user + sys, from wait4) and peak RSS. Used for peers that are programs, not libraries (the AWS
CLI), so their figures include the program's own start-up.

    /usr/bin/python3 bench/jobs/measure_cmd.py --job NAME [--bytes N | --bytes-of FILE] -- COMMAND ARGS...

The command's stdout goes to /dev/null (the CLI's progress display), its stderr to ours. Peak RSS is the child's
ru_maxrss from wait4: Linux carries the forking parent's RSS over into it, but the parent here is this small
wrapper (about 10 MiB), far below any CLI's own peak, so the figure is the command's own.
"""
import argparse
import json
import os
import subprocess
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--job', required=True)
    p.add_argument('--bytes', type=int, default=0)
    p.add_argument('--bytes-of', default='')
    p.add_argument('command', nargs=argparse.REMAINDER)
    a = p.parse_args()
    cmd = a.command[1:] if a.command[:1] == ['--'] else a.command
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.stderr.write('%s: %s exited with %d\n' % (a.job, cmd[0], code))
        sys.exit(1)
    moved = os.stat(a.bytes_of).st_size if a.bytes_of else a.bytes
    report = {'job': a.job, 'bytes': moved, 'wallSeconds': wall, 'cpuSeconds': usage.ru_utime + usage.ru_stime, 'maxRSSKiB': usage.ru_maxrss}
    sys.stdout.write(json.dumps(report) + '\n')


if __name__ == '__main__':
    main()
