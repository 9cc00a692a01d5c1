"""`python -m intake.cli`: the `hiroba` command without its installed script."""

import sys

from . import main

sys.exit(main())
