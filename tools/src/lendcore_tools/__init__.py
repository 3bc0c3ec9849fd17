"""lendcore-tools: what builds and exercises a lendcore book, apart from the product.

``demo/`` (the simulation and its report), ``portfolio/`` (the synthetic book generator) and
``training.py`` (fitting the scorecard's points table). They import ``lendcore``; ``lendcore``
never imports them. Their commands (``lendcore demo``, ``lendcore portfolio generate``,
``lendcore scorecard train``) join the ``lendcore`` CLI through the ``lendcore.cli`` entry point
(:func:`lendcore_tools.cli.register`).
"""
