from gasvc.cli import main

main()
