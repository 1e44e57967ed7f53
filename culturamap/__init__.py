"""The ``culturamap`` command, above the two packages it drives (``geo`` and ``webmap``)."""
