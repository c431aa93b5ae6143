from mel.cli.app import main

main()
