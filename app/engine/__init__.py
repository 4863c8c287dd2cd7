"""The numerical engine: TensorFlow and numpy only, usable from a notebook without a server.

- ``config``: ``NetworkSpec``, the structure of a network (no TensorFlow import);
- ``weights``: seeded Keras-default weights and the expected weight shapes (numpy only);
- ``cells``: one step of each cell, in TensorFlow;
- ``unroll``: the compiled time loop and ``run_network``.

>>> from app.engine.config import NetworkSpec
>>> from app.engine.unroll import run_network
>>> from app.engine.weights import seeded_weights
"""
