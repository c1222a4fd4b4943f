"""``babelscope models``: bundled aliases, what is cached, sizes."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("models", help="list bundled models and babelscope's model cache")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from babelscope.models.inventory import inventory

    rows = inventory()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    from babelscope.paths import cache_root

    print(f"cache: {cache_root()}")
    print(f"{'model':<16} {'installed':<10} {'cached':<8} {'size':>9}  description")
    for row in rows:
        size = f"{float(str(row['bytes'])) / 2**20:.0f} MiB" if row["bytes"] else "-"
        print(
            f"{row['name']!s:<16} {('yes' if row['installed'] else 'no'):<10} "
            f"{('yes' if row['cached'] else 'no'):<8} {size:>9}  {row['description']}"
        )
    for row in rows:
        if row.get("install"):
            print(f"to get {row['name']}: {row['install']}")
    return 0
