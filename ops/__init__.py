"""Operator commands (run from a workstation or CI; never packaged into the Lambda)."""
