"""Run the simulator on its own: ``python -m tests.simulator [options]``.

Serves the default world, plays the scenario for every vehicle in a loop
and prints the endpoints (also written as JSON with ``--endpoints-file``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from pathlib import Path
import signal

from .core import Simulator
from .persist import write_atomically
from .world import (
    CLIENT_A,
    CLIENT_B,
    CLIENT_C,
    CLIENT_NO_STREAM,
    GCID_A,
    GCID_B,
    GCID_C,
)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.simulator", description="BMW CarData simulator"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--http-port", type=int, default=0, help="0: any free port")
    parser.add_argument("--mqtt-port", type=int, default=0, help="0: any free port")
    parser.add_argument(
        "--speed", type=float, default=10.0, help="scenario clock factor"
    )
    parser.add_argument("--no-scenario", action="store_true")
    parser.add_argument("--auto-approve", action="store_true")
    parser.add_argument("--interval", type=int, default=5, help="device-code interval")
    parser.add_argument("--cert-dir", help="keep the CA here (reused across runs)")
    parser.add_argument("--endpoints-file", help="write the endpoints as JSON here")
    parser.add_argument(
        "--state-file", help="remember tokens, containers and quota here"
    )
    parser.add_argument(
        "--no-control",
        action="store_true",
        help="no fault switchboard under /_sim/ (loopback only otherwise)",
    )
    parser.add_argument(
        "--token-lifetime",
        type=int,
        default=3600,
        help="seconds an access and id token are valid",
    )
    return parser.parse_args()


def _write(path: Path, info: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Atomically: a reader waits for the file to exist, then reads it at once.
    write_atomically(path, json.dumps(info, indent=2) + "\n")


async def _main(args: argparse.Namespace) -> None:
    sim = Simulator(
        host=args.host,
        http_port=args.http_port,
        mqtt_port=args.mqtt_port,
        cert_dir=args.cert_dir,
        state_file=args.state_file,
        control=not args.no_control,
        access_token_lifetime=args.token_lifetime,
        id_token_lifetime=args.token_lifetime,
    )
    sim.load_default_world()
    sim.oauth.auto_approve = args.auto_approve
    sim.oauth.interval = args.interval
    await sim.start()
    info = sim.endpoints | {
        "verify_url": sim.endpoints["auth_url"] + "/verify",
        "client_id": CLIENT_A,
        "clients": {
            "CLIENT_A": CLIENT_A,
            "CLIENT_B": CLIENT_B,
            "CLIENT_NO_STREAM": CLIENT_NO_STREAM,
            "CLIENT_C (Neue Klasse iX3, UK MINI, MINI without basic data)": CLIENT_C,
        },
        "accounts": {"GCID_A": GCID_A, "GCID_B": GCID_B, "GCID_C": GCID_C},
        "control_url": None if args.no_control else sim.endpoints["api_url"] + "/_sim",
    }
    if args.endpoints_file:
        await asyncio.to_thread(_write, Path(args.endpoints_file), info)
    print("BMW CarData simulator running:")
    for key, value in info.items():
        print(f"  {key}: {value}")
    print("  (Ctrl-C stops)", flush=True)
    if not args.no_scenario:
        for vin in list(sim.vehicles):
            # Every car that streams to an account with a client: its own
            # cars and the car shared with account A.
            if any(
                (m := a.mappings.get(vin)) is not None and m.streams
                for a in sim.accounts.values()
                if a.clients
            ):
                sim.start_scenario(vin, speed=args.speed, loop=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await sim.stop()
        print("BMW CarData simulator stopped.", flush=True)


def main() -> None:
    """Entry point."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(_arguments()))


if __name__ == "__main__":
    main()
