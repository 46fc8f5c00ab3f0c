"""The self-hosted TensorBay Open API v1 server: settings → app → engine → stores."""
