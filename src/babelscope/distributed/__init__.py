"""Sweeps: the plan (a TOML file → jobs), the local executor and the Ray executor.

A job is the argv of one ``babelscope`` command, validated by that command's parser and run by
its code; the CLI hands both in (:mod:`.command_line`), so nothing here imports ``cli``.

- :mod:`.plan`: the sweep file → :class:`~.plan.Sweep` of :class:`~.plan.Job` (every mistake
  caught before anything runs);
- :mod:`.jobs`: one job in this process (skip when done, record, ``--overwrite`` on a rerun);
- :mod:`.local`: the local executor; :mod:`.summary`: ``sweep.json``;
- :mod:`.ray_driver`: the Ray executor — a ranking's activation-store shards over actors,
  other analyses as whole-job tasks. The unit of work is a shard: one model × one language
  group × one block of sentences. :mod:`.worker` holds what a worker does (load its model
  once, compute shards, write their files) and imports no Ray; :mod:`.ray_pool` drives
  workers as Ray actors and is imported only by the Ray executor, so ``import babelscope``
  never pulls Ray in.
"""
