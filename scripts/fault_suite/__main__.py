"""``scripts/faults [--ha VERSION] [--quick] [--only TEXT] [--keep]``: print the matrix.

``--ha VERSION`` is taken by the ``scripts/faults`` shell script: it runs
that Home Assistant release from ``.venv-ha-VERSION`` (built on first use).

Exit status 0 when every scenario held, 1 otherwise, 2 when the run could
not be set up.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import signal
import sys
import tempfile
import time

# Registration order: the stream's scenarios first, then the account's.
from . import scenarios_stream  # noqa: F401  # isort: skip
from . import scenarios_auth  # noqa: F401  # isort: skip
from .harness import FaultSuiteError, Harness
from .runner import SCENARIOS, Result, Run, matrix, run_one


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/faults", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the short CI subset")
    parser.add_argument("--only", help="scenarios whose name contains this text")
    parser.add_argument("--keep", action="store_true", help="keep the run directory")
    parser.add_argument("--list", action="store_true", help="list scenarios and exit")
    return parser.parse_args()


async def _main(args: argparse.Namespace) -> int:
    chosen = [
        s
        for s in SCENARIOS
        if (s.quick or not args.quick)
        and (not args.only or args.only.lower() in s.name.lower())
    ]
    if args.list:
        for entry in chosen:
            print(("* " if entry.quick else "  ") + entry.name)
        return 0
    base = Path(tempfile.mkdtemp(prefix="cardata-faults-"))
    results: list[Result] = []
    started = time.monotonic()
    async with Harness(base, keep=args.keep) as h:
        run = Run(h)
        try:
            await run.setup()
        except (FaultSuiteError, OSError) as err:
            print(f"scripts/faults: set-up failed: {err} (files in {base})")
            h.keep = True
            return 2
        version = (await h.api("GET", "/api/config")).get("version", "?")
        print(
            f"scripts/faults: {len(chosen)} scenarios on Home Assistant {version};"
            f" run directory {base}"
        )
        for entry in chosen:
            result = await run_one(run, entry)
            results.append(result)
            print(
                f"  {'held' if result.held else 'FAILED':6} {entry.name}"
                f" ({result.seconds:.0f} s) {result.note}",
                flush=True,
            )
            try:
                await run.ensure_healthy()
            except (FaultSuiteError, OSError) as err:
                print(f"scripts/faults: cannot go on: {err}")
                break
    print()
    print(matrix(results))
    print(f"took {time.monotonic() - started:.0f} s")
    return 0 if results and all(r.held for r in results) else 1


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Entry point; SIGTERM stops like Ctrl-C (everything started is stopped)."""
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        sys.exit(asyncio.run(_main(_arguments())))
    except KeyboardInterrupt:
        print("scripts/faults: interrupted; everything it started is stopped")
        sys.exit(130)


if __name__ == "__main__":
    main()
