"""Autogenerate the next migration of one module's alembic branch from its models.

    python scripts/new_migration.py orders "orders tables" [--depends-on catalogs_0001 ...]

Upgrades a throwaway SQLite database to every head, then compares only the module's tables (prefix
`<module>_`) with its models. The first revision of a module gets the branch label and revision id
`<module>_0001`; later ones `<module>_000N`, revising the branch head. Review the file it writes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from his.kernel.migrate import KNOWN_BRANCHES, alembic_config, migrations_dir, upgrade


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("module")
    parser.add_argument("message")
    parser.add_argument("--depends-on", action="append", default=[])
    args = parser.parse_args()
    if args.module not in KNOWN_BRANCHES:
        print(f"unknown module {args.module}: add it to KNOWN_BRANCHES in his/kernel/migrate.py", file=sys.stderr)
        return 2
    folder = migrations_dir() / "versions" / args.module
    folder.mkdir(parents=True, exist_ok=True)
    existing = sorted(folder.glob(f"{args.module}_*.py"))
    number = len(existing) + 1
    revision = f"{args.module}_{number:04d}"
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'scratch.db'}"
        upgrade(url)
        config = alembic_config(url)
        locations = config.get_main_option("version_locations") or ""
        if str(folder) not in locations.split():
            config.set_main_option("version_locations", f"{locations} {folder}".strip())
        config.cmd_opts = argparse.Namespace(x=[f"module={args.module}"])
        command.revision(
            config,
            message=args.message,
            autogenerate=True,
            rev_id=revision,
            head="base" if number == 1 else f"{args.module}@head",
            branch_label=args.module if number == 1 else None,
            version_path=str(folder),
            depends_on=args.depends_on or None,
        )
    written = next(folder.glob(f"{revision}_*.py"))
    # Alembic's template imports his.kernel.db for custom column types; drop it when unused and format the file.
    ruff = Path(sys.executable).parent / "ruff"
    subprocess.run([str(ruff), "check", "--fix", "--quiet", str(written)], check=False)
    subprocess.run([str(ruff), "format", "--quiet", str(written)], check=False)
    print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
