import sys

from bench.aggregator.run import main

sys.exit(main())
