from widthlimits.proofs_checks.cli import main

raise SystemExit(main())
