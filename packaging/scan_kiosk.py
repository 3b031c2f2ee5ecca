"""Entry point of the frozen app (`scan-kiosk`): the same as the `kiosk` command."""

import sys

from kiosk.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
