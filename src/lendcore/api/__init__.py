"""HTTP entry point: FastAPI app, thin routes over the same service functions as the CLI."""
