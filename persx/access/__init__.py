"""Who may see what in the admin: the measurement permission shared by every screen of
measured data (analytics, monitoring, inference, the persona review)."""
