"""``python -m traomay`` = ``traomay`` (useful on Windows without Scripts on PATH)."""

from traomay.interface.app import main

main()
