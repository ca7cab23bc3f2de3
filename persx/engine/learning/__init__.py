"""Learning from what visitors did.

The bandit, industry inference and its calibration, the quarterly persona review
(k-modes).
"""
