"""`python -m recommender`: the same command line as `helpnext`."""

import sys

from recommender.cli.entry import main

sys.exit(main())
