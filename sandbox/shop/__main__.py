from shop.app import main

raise SystemExit(main())
