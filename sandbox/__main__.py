"""`python -m sandbox`: see sandbox/runner.py."""

from sandbox.runner import main

if __name__ == "__main__":
    raise SystemExit(main())
