import sys

from dockerast.cli import main

sys.exit(main())
