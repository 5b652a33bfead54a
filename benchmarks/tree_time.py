"""Wall time and CPU time of a command and every process it starts, for studies that run on a pool.

Why not ``/usr/bin/time`` or ``resource.RUSAGE_CHILDREN``: they count the children a process
waited for. salesim's process pool starts its workers from a fork server, which nobody waits for,
so their CPU time (nearly all of a study's) is missing there: a 35-minute study reads as 25 s.
This polls ``/proc`` (Linux) every ``--interval`` seconds for every descendant of the command and
keeps each one's last user + system time; a process that lives less than one interval may be
missed, which the pool's long-lived workers are not.

    python benchmarks/tree_time.py --json run.time.json -- salesim study FILE --out runs/x

The JSON (``cpu_s``, ``wall_s``, ``max_rss_kb`` of the largest process, ``processes``, the load
average at the start and the end) is what ``scripts/figures.py store NAME --from runs/x --time-log
run.time.json`` stores with a robust study's output.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float, int] | None:
    """(parent pid, user + system seconds, resident kB) of a live process, or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
        rss = 0
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                rss = int(line.split()[1])
    except (OSError, ValueError):
        return None
    fields = raw[raw.rindex(")") + 2:].split()  # after "pid (comm) "
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK, rss


def run(argv: list[str], interval: float = 0.5, cwd: str | None = None) -> dict:
    """Run ``argv``; return its exit code, wall time and the CPU time of its whole process tree."""
    load0 = list(os.getloadavg())
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd)
    cpu: dict[int, float] = {}
    rss: dict[int, int] = {}
    tree = {proc.pid}
    while True:
        done = proc.poll() is not None
        stats = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                s = _stat(int(entry))
                if s is not None:
                    stats[int(entry)] = s
        grew = True
        while grew:  # every descendant of the command, whoever its parent is by now
            grew = False
            for pid, (ppid, _, _) in stats.items():
                if pid not in tree and ppid in tree:
                    tree.add(pid)
                    grew = True
        for pid in tree & stats.keys():
            cpu[pid] = max(cpu.get(pid, 0.0), stats[pid][1])
            rss[pid] = max(rss.get(pid, 0), stats[pid][2])
        if done:
            break
        time.sleep(interval)
    return {"returncode": proc.returncode, "wall_s": time.perf_counter() - t0, "cpu_s": sum(cpu.values()),
            "max_rss_kb": max(rss.values(), default=0), "processes": len(cpu), "load_average_start": load0,
            "load_average_end": list(os.getloadavg()), "command": argv, "date": time.strftime("%Y-%m-%d")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", type=Path, help="write the measurement here")
    ap.add_argument("--interval", type=float, default=0.5)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("give the command to time after --")
    r = run(cmd, args.interval)
    print(f"wall {r['wall_s']:.1f} s, CPU {r['cpu_s']:.1f} s over {r['processes']} processes", file=sys.stderr)
    if args.json is not None:
        args.json.write_text(json.dumps(r, indent=1) + "\n")
    return r["returncode"]


if __name__ == "__main__":
    sys.exit(main())
