"""Experiments: data, training, the named model suites, result files, robustness studies and reports."""
