"""Domain functions: plain async code over the models, called by the schema and the CLI."""
