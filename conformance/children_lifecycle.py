"""Targets run in child processes by the Process lifecycle properties."""
import os
import sys


def exit_with(code):
    sys.exit(code)
