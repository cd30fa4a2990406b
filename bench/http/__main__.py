import sys

from bench.http.run import main

sys.exit(main())
