"""``python -m dsop_sandbox.topology [--tls]``: print docker-compose.yml; ``insurer-profile FILE
--public-url URL`` fills the reference insurer's two URLs into an insurer.toml (the compose
``register-insurer`` step)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..reference_insurer import complete_insurer_profile
from .compose import render_compose


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dsop_sandbox.topology", description="Print docker-compose.yml (the container topology) as YAML."
    )
    parser.add_argument("--tls", action="store_true", help="the HTTPS variant (docker-compose.tls.yml)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    profile = actions.add_parser(
        "insurer-profile",
        help="fill the reference insurer's start_url and fetch_url into an insurer.toml written by register-insurer",
    )
    profile.add_argument("file", type=Path)
    profile.add_argument("--public-url", required=True, help="where citizens reach the reference insurer")
    args = parser.parse_args(argv)
    if args.action == "insurer-profile":
        complete_insurer_profile(args.file, args.public_url)
        print(f"{args.file}: start_url and fetch_url at {args.public_url}")
        return 0
    sys.stdout.write(render_compose(tls=args.tls))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
