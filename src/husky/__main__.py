"""`python -m husky` runs the CLI."""

from husky.cli.entry import main

if __name__ == "__main__":
    main()
