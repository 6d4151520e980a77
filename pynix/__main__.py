from pynix.cli.main import main

raise SystemExit(main())
