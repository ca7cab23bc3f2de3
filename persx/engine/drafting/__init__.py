"""AI drafting.

The drafting port (fact sheet + block schema in, structured draft out) and the
claim checker.
"""
