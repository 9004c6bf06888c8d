"""Whole catalogues: many essays made into one podcast in one run (``essaycast batch``).

The one orchestration layer above the stages: it drafts (or reuses) each essay's script like
``make``, renders all of them as one body of work (``pipeline.synth.render.render_all``: identical
lines synthesized once, longest first across the catalogue, on a local pool or a Dask cluster),
masters each episode and publishes them into one site in a stable order. It imports every stage
and no stage imports it; the CLI is a thin layer over it.
"""
