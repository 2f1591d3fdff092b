"""Commands of the ``widthlimits`` CLI (one module each; see ``cli.py``)."""
