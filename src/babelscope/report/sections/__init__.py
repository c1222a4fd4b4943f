"""Report sections built from analysis results (one module per analysis)."""
