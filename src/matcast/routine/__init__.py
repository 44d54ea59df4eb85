"""Routine and pose files: the model, the strict loader, and the JSON Schema."""
