"""The outermost layer: the composition root (`suite`: what `rupor run` starts), the demo,
the command line (`cli/`), the messenger adapters (`telegram/`, `vk/`, `viber/`, each
translating its platform into core's ports), webhooks and the texts members read.

May import: scheduler, core, and sandbox (for the demo and `rupor sandbox`).
"""
