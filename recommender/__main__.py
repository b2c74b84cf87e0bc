import sys

from recommender.cli.entry import main

sys.exit(main())
