"""traomay: turn donated Android phones into verified phones for households in need.

The import package holds the layers (see README, "Architecture"); importing it imports
nothing else, so ``traomay.simulator`` stays independent of the toolkit.
"""

__version__ = "0.2.0"
