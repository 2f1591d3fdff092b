"""The theorem catalogue (one module per paper) and its runner."""
