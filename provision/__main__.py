"""``python -m provision`` = ``traomay`` (useful on Windows without Scripts on PATH)."""

from provision.cli import main

main()
