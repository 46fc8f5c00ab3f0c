"""gasvc: git for versioned ML datasets on the TensorBay Open API."""

__version__ = "0.1.0"
