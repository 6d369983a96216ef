"""`python -m sandbox`: the same command as `rupor sandbox` (sandbox/cli.py)."""

from sandbox.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
