from archmatch.cli import main

raise SystemExit(main())
