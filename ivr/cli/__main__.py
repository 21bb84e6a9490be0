"""``python -m ivr.cli``: how `hajj-ivr run` starts the web console in its own process."""

import sys

from ivr.cli.main import main

sys.exit(main())
