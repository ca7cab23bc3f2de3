"""Who the visitor is.

The catalog vocabulary, the profile, how explicit choices update it, which
profile layer wins, persona scoring.
"""
