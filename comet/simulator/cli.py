"""`python -m comet.simulator`: serve the simulator until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import time

from .core import Simulator

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the simulator until Ctrl-C so the app or curl can talk to it offline."""
    parser = argparse.ArgumentParser(
        prog="python -m comet.simulator",
        description="Offline simulator of CometAPI's Replicate-compatible FLUX API.",
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--time-scale", type=float, default=1.0, help="0 = instant results")
    parser.add_argument("--api-key", default=None, help="accept only this Bearer key")
    parser.add_argument("--image-size", type=int, default=512, help="long side of images")
    parser.add_argument("--url-ttl", type=float, default=None, help="delivery URL lifetime (s)")
    args = parser.parse_args(argv)
    try:
        simulator = Simulator(
            host=args.host,
            port=args.port,
            api_key=args.api_key,
            time_scale=args.time_scale,
            image_size=args.image_size,
            url_ttl=args.url_ttl,
        ).start()
    except (OSError, ValueError) as exc:
        print(f"Cannot start the simulator: {exc}", file=sys.stderr)
        return 1
    try:  # from the first line out: Ctrl-C may come as soon as the URL is printed
        print(simulator.base_url, flush=True)
        print("CometAPI simulator running; press Ctrl-C to stop.", file=sys.stderr, flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
    return 0
