"""Stress and fault-injection workloads (issue 6); nothing is collected from here yet."""
