"""The visitor of a request: the profile the middleware chose and what to do with its cookie."""
