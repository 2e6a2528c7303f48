"""Shipping the pipeline to AWS: the template renderer, the artifacts, the stack, the cost.

`observability deploy` renders `deploy/cloudformation.yaml` with what the code owns
(`render.py`), uploads what `make package` built under content-addressed keys
(`artifacts.py`) and creates or updates the stack through a change set (`stack.py`);
`observability cost` prices the design from a committed price table (`cost.py`).
"""
