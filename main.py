from convlab.app import main

raise SystemExit(main())
