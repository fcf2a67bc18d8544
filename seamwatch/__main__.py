"""`python -m seamwatch` runs the CLI."""

import sys

from seamwatch.cli import main

sys.exit(main())
