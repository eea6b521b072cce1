"""Evaluation: eval sets, metrics, the runner and the CI gate."""
