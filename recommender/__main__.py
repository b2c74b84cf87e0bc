import sys

from recommender.entry import main

sys.exit(main())
