"""Spreading work over processes and machines (the sweep's Ray executor).

The unit of work is an activation-store shard: one model × one language group × one block of
sentences (:mod:`babelscope.analyses.ranking.collect`). :mod:`.worker` holds what a worker
does (load its model once, compute shards, write their files) and imports no Ray;
:mod:`.ray_pool` drives workers as Ray actors and is imported only by the Ray executor, so
``import babelscope`` never pulls Ray in.
"""
