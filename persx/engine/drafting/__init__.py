"""AI drafting.

The drafting port (fact sheet + block schema in, structured draft with per-sentence
citations out; the verifier's second pass), the fact sheet read as structure (proof
points, entities), the known-word list, the claim checker and the verification flags.
"""
