"""Point-in-time features at a moment T: (events, as_of) -> frame."""
