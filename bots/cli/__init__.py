"""The `rupor` command line: one module per command group (`audience`, `campaigns`,
`invites`), the root group and its small commands in `main`, and what they share (the
settings file) in `context`, which imports none of them.

May import: bots (the composition root `suite`, the `demo`, adapters' helpers), scheduler,
core, and sandbox for `rupor sandbox`.
"""
