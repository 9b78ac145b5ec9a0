"""``python -m dsop_sandbox.examples.reference_insurer --insurer DIR/insurer.toml [--port 7200] [--host 127.0.0.1]
[--public-url URL] [--state-file FILE] [--ca-bundle FILE] [--altinn2-flow rest|link]
[--exchange callback|first_fetch]``: serve the reference insurer."""

from __future__ import annotations

import argparse
import logging
import sys

from .app import EXTENSION, create_app
from .config import AT_CALLBACK, AT_FIRST_FETCH, LINK, REST, ConfigError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dsop_sandbox.examples.reference_insurer", description=__doc__)
    parser.add_argument("--insurer", required=True, metavar="FILE", help="insurer.toml from register-insurer")
    parser.add_argument("--port", type=int, default=7200)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--public-url",
        help="the base URL citizens reach us at (default http://localhost:PORT, or the one in [insurer] start_url)",
    )
    parser.add_argument("--state-file", help="keep claims in this SQLite file (default: in memory)")
    parser.add_argument("--ca-bundle", help="trust these CAs for the sandbox's HTTPS (default: the system's)")
    parser.add_argument(
        "--altinn2-flow",
        choices=(REST, LINK),
        help="Altinn 2: ask for consent over REST (default) or with the parameterised link",
    )
    parser.add_argument(
        "--exchange",
        choices=(AT_CALLBACK, AT_FIRST_FETCH),
        help="exchange the code and fetch at once after the callback (default), or at the first fetch",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        app = create_app(
            args.insurer,
            public_url=args.public_url or _default_public_url(args),
            state_file=args.state_file,
            ca_bundle=args.ca_bundle,
            altinn2_flow=args.altinn2_flow,
            exchange=args.exchange,
        )
    except (ConfigError, OSError, ValueError) as exc:
        print(f"reference insurer: {exc}", file=sys.stderr)
        return 2
    insurer = app.extensions[EXTENSION]
    print(f"reference insurer {insurer.config.name} ({insurer.config.org}) at {insurer.config.public_url}", flush=True)
    try:
        app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)
    finally:
        insurer.close()
    return 0


def _default_public_url(args) -> str | None:
    """None lets [insurer] start_url decide; a profile without one gets http://localhost:PORT."""
    import tomllib
    from pathlib import Path

    try:
        start_url = tomllib.loads(Path(args.insurer).read_text(encoding="utf-8")).get("insurer", {}).get("start_url")
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    return None if start_url else f"http://localhost:{args.port}"


if __name__ == "__main__":
    raise SystemExit(main())
