"""Wall time of `manage.py generate_load_data` into a fresh PostgreSQL database.

Creates the database, migrates it (not timed), times the load in a child process, and drops the
database again unless --keep is given (other benchmarks expect a loaded `inburgering_load_1m`).
The figure printed last is the load's wall time in seconds (target: a few minutes for 1,000,000).

    .venv/bin/python benchmarks/generate_load_data.py --newcomers 1000000 --database inburgering_load_1m --keep
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--newcomers", type=int, default=1_000_000)
    parser.add_argument("--database", default="inburgering_load_bench")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--keep", action="store_true", help="leave the loaded database in place")
    return parser.parse_args()


def main():
    args = _parse()
    pg = ["-h", args.host, "-U", args.user]
    env = {**os.environ, "DJANGO_ENV": os.environ.get("DJANGO_ENV", "demo"),
           "DATABASE_URL": f"postgres://{args.user}@{args.host}:5432/{args.database}"}
    manage = [sys.executable, str(ROOT / "manage.py")]

    subprocess.run(["dropdb", *pg, "--if-exists", args.database], check=True)
    subprocess.run(["createdb", *pg, args.database], check=True)
    try:
        subprocess.run([*manage, "migrate", "--verbosity", "0"], check=True, env=env)
        started = time.monotonic()
        subprocess.run([*manage, "generate_load_data", "--newcomers", str(args.newcomers)], check=True, env=env)
        elapsed = time.monotonic() - started
    finally:
        if not args.keep:
            subprocess.run(["dropdb", *pg, "--if-exists", args.database], check=True)
    print(f"generate_load_data --newcomers {args.newcomers:,}: wall time (s)")
    print(f"{elapsed:.1f}")


if __name__ == "__main__":
    main()
