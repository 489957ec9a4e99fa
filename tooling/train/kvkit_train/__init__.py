"""Training, data and export tooling for kvkit's own tiny Llama models (see ../README.md)."""
