"""The editorial catalog: festivals, editions, lineups, bands, members, genres, roles and their review."""
