#!/usr/bin/env python3
"""Build the briefings and memos: `python build.py [build|check|list|clean|merge] ...` (see README)."""

import sys
from pathlib import Path

# Runs from a plain checkout too: the package lives under src/.
sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from atalaya.cli import main

if __name__ == "__main__":
    main()
